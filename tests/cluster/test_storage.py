"""Storage across nodes on a real in-process Ray cluster (ray.cluster_utils.Cluster): with one node
local paths and the sqlite fallback are fine as today; once a second node joins, `augft augment` /
`augft train` stop before any work naming the key, and declaring the folders shared lets them pass."""
import pytest

from augft.cluster.cli import main
from augft.cluster.storage import check_storage, is_shared
from augft.core.config import load_config
from augft.core.errors import AugftError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()


def _two_nodes(c):
    import ray

    if sum(1 for n in ray.nodes() if n.get("Alive")) < 2:
        c.add_node(num_cpus=1)
        c.wait_for_nodes()


@pytest.fixture
def places(tmp_path, monkeypatch):
    for var in ("MLFLOW_TRACKING_URI", "AUGFT_STORAGE", "RAY_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    data, out, cache = tmp_path / "data", tmp_path / "out", tmp_path / "cache"
    data.mkdir()
    (data / "a.txt").write_text("Ada was born in Paris.\n")
    return data, out, [f"model.cache_dir={cache}", "augment.use_ray=true"]


def test_one_node_accepts_local_paths_then_a_second_node_refuses_them(cluster, places):
    data, out, keys = places
    cfg = load_config(None, keys)  # tracking on, no URI: the sqlite fallback
    check_storage(cfg, "augment", data, out)  # one node: as today
    _two_nodes(cluster)
    with pytest.raises(AugftError, match="2 nodes") as err:
        check_storage(cfg, "augment", data, out)
    for named in ("--data", "--out", "model.cache_dir", "cluster.shared_paths", "tracking.uri"):
        assert named in str(err.value)


def test_the_command_stops_with_exit_2_before_any_work(cluster, places, capsys):
    data, out, keys = places
    _two_nodes(cluster)
    code = main(["augment", "--data", str(data), "--out", str(out), *keys, "tracking.enabled=false"])
    assert code == 2
    msg = capsys.readouterr().err
    assert "--out" in msg and "cluster.shared_paths" in msg and "tracking.uri" not in msg
    assert not out.exists()  # nothing ran


def test_unset_tracking_uri_alone_is_refused(cluster, places, tmp_path):
    data, out, keys = places
    _two_nodes(cluster)
    cfg = load_config(None, [*keys, f"cluster.shared_paths=[{tmp_path}]", "train.launcher=ray"])
    with pytest.raises(AugftError, match="MLflow tracking has no URI.*tracking.uri") as err:
        check_storage(cfg, "train", data, out)
    assert "--out" not in str(err.value)
    hub = load_config(None, [*keys, f"cluster.shared_paths=[{tmp_path}]", "tracking.enabled=false",
                             "model.name=HuggingFaceTB/SmolLM2-135M"])
    with pytest.raises(AugftError, match="model.name \\(a Hub name, read from \\$HF_HOME\\)"):
        check_storage(hub, "train", data, out)  # the Hub's cache, not model.cache_dir


def test_declared_shared_folders_and_a_tracking_uri_are_accepted(cluster, places, tmp_path, monkeypatch):
    data, out, keys = places
    _two_nodes(cluster)
    cfg = load_config(None, [*keys, f"cluster.shared_paths=[{tmp_path}]", "tracking.uri=http://mlflow:5000"])
    check_storage(cfg, "augment", data, out)
    check_storage(cfg, "run", "s3://bucket/data", "s3://bucket/out")
    # cluster.storage (the jobs' shared root) counts as shared too
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    check_storage(load_config(None, [*keys, f"cluster.storage={tmp_path}"]), "augment", data, out)


def test_a_command_off_ray_is_not_checked_and_sweeps_and_ray_targets_are(cluster, places):
    data, out, keys = places
    _two_nodes(cluster)
    cfg = load_config(None, [*keys, "augment.use_ray=false"])
    check_storage(cfg, "augment", data, out)  # runs in this process: its paths are its own
    check_storage(cfg, "questions", data, out)
    with pytest.raises(AugftError, match="--out"):
        check_storage(cfg, "sweep", data, out)  # Tune trials run on any node
    with pytest.raises(AugftError, match="--out"):
        check_storage(load_config(None, [*keys, "augment.use_ray=false", "train.launcher=torchrun",
                                         "train.distill.use_ray=true"]), "targets", data, out)


def test_is_shared_resolves_before_comparing(tmp_path):
    assert is_shared("s3://b/k", [])
    assert is_shared(tmp_path / "a" / "b", [str(tmp_path)])
    assert not is_shared(tmp_path / "a" / ".." / ".." / "x", [str(tmp_path)])
    assert not is_shared(str(tmp_path) + "-other", [str(tmp_path)])


def test_shared_paths_must_be_absolute():
    with pytest.raises(AugftError, match="cluster.shared_paths\\[0\\]"):
        load_config(None, ["cluster.shared_paths=[relative/dir]"])


def test_uri_locations_of_a_stage_that_copies_them_need_a_shared_work_folder(tmp_path, monkeypatch):
    from augft.cluster.storage import storage_problems

    for var in ("AUGFT_WORK", "AUGFT_STORAGE", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(None, [f"model.cache_dir={tmp_path / 'cache'}", "tracking.enabled=false",
                             f"cluster.shared_paths=[{tmp_path / 'cache'}]", "train.launcher=ray"])
    # augment streams URIs; train works on local copies, in the work folder under the (shared) cache
    assert storage_problems(cfg, "augment", "s3://b/data", "s3://b/out") == []
    assert storage_problems(cfg, "train", "s3://b/data", "s3://b/out") == []
    monkeypatch.setenv("AUGFT_WORK", str(tmp_path / "local-work"))
    problems = storage_problems(cfg, "train", "s3://b/data", "s3://b/out")
    assert len(problems) == 1 and "the local copies of s3:// --data/--out ($AUGFT_WORK" in problems[0]
