"""core/uri.py against a real S3-compatible server (moto on 127.0.0.1): inputs mirrored and
refreshed, outputs published payload-first so a crash leaves no complete-looking folder."""
import pytest

from augft.core import uri
from augft.core.errors import AugftError
from helpers import s3_names


def _put(s3fs, path: str, data: bytes) -> None:
    with s3fs.open_output_stream(path) as fh:
        fh.write(data)






def test_input_is_mirrored_and_refreshed(uri_work, s3):
    s3fs, opts = s3
    _put(s3fs, "augft/d/corpus.jsonl", b"one\n")
    _put(s3fs, "augft/d/sub/x.bin", b"x")
    local = uri.local_input(f"s3://augft/d?{opts}", "--data")
    assert (local / "corpus.jsonl").read_bytes() == b"one\n" and (local / "sub" / "x.bin").read_bytes() == b"x"
    _put(s3fs, "augft/d/corpus.jsonl", b"two lines\n")  # changed in the store
    s3fs.delete_file("augft/d/sub/x.bin")  # gone from the store
    again = uri.local_input(f"s3://augft/d?{opts}", "--data")
    assert again == local and (local / "corpus.jsonl").read_bytes() == b"two lines\n"
    assert not (local / "sub" / "x.bin").exists()
    with pytest.raises(AugftError, match=r"--data s3://augft/nothing: no such object or folder"):
        uri.local_input(f"s3://augft/nothing?{opts}", "--data")


def test_output_resumes_from_the_store_and_publishes_markers_last(uri_work, s3):
    s3fs, opts = s3
    loc = f"s3://augft/out?{opts}"
    with uri.local_output(loc) as local:
        (local / "stage").mkdir()
        (local / "stage" / "part-0.parquet").write_bytes(b"p0")
        (local / "stage" / "manifest.json").write_text("{}")
        (local / "old.txt").write_text("rotated out later")
    assert s3_names(s3fs, "augft/out") == {"stage/part-0.parquet", "stage/manifest.json", "old.txt"}

    calls = []

    def crash_after_one(filesystem, src, dest, real=uri._upload):
        calls.append(dest.rsplit("/", 1)[-1])
        if len(calls) > 1:
            raise OSError("connection reset")
        real(filesystem, src, dest)

    with pytest.raises(AugftError, match="--out s3://augft/out: the store failed"):
        with uri.local_output(loc) as local:  # a rerun sees what was published
            assert (local / "stage" / "part-0.parquet").read_bytes() == b"p0"
            (local / "stage" / "part-1.parquet").write_bytes(b"p1")
            (local / "stage" / "manifest.json").write_text('{"v": 2}')
            (local / "old.txt").unlink()
            import unittest.mock as mock

            mock.patch.object(uri, "_upload", crash_after_one).start()
    mock.patch.stopall()
    # the payload went first; the crash came before the new manifest, and the old one was withdrawn
    assert calls[0] == "part-1.parquet" and "stage/manifest.json" not in s3_names(s3fs, "augft/out")
    with uri.local_output(loc):  # the rerun starts from the store (old.txt was not withdrawn yet) and publishes
        pass
    assert s3_names(s3fs, "augft/out") >= {"stage/part-0.parquet", "stage/part-1.parquet", "stage/manifest.json"}
    with s3fs.open_input_stream("augft/out/stage/manifest.json") as fh:
        assert fh.read() == b'{"v": 2}'


def test_missing_bucket_is_named(uri_work, s3):
    _, opts = s3
    with pytest.raises(AugftError, match=r"--out s3://nobucket/x: the bucket 'nobucket' does not exist"):
        with uri.local_output(f"s3://nobucket/x?{opts}"):
            pass


def test_store_errors_say_what_to_do():
    e = uri.store_error(OSError("AWS Error ACCESS_DENIED during HeadObject"), "model.name", "s3://b/m?k=v")
    assert "model.name s3://b/m: access denied or no credentials" in str(e) and "k=v" not in str(e)
    e = uri.store_error(OSError("NoSuchBucket: The specified bucket does not exist"), "--data", "s3://b/d")
    assert "--data s3://b/d: the bucket does not exist" in str(e)
