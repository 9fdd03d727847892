"""core.errors: a worker's AugftError reaches the user as its own one-line message."""
import pickle

from augft.core.errors import AugftError, user_error
from augft.core.records import RecordError


def test_message_survives_ray_data_annotation_and_pickling():
    exc = RecordError("corpus.jsonl:2: field 'text' must be a string")
    exc.args = (exc.args[0] + "\nFailed to apply UDF transform after 1/1 attempts.",)  # as Ray Data does
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is RecordError and str(back) == "corpus.jsonl:2: field 'text' must be a string"
    assert isinstance(back, ValueError)


def test_user_error_unwraps_a_remote_wrapper():
    class RemoteWrapper(AugftError):  # the shape of Ray's RayTaskError(AugftError)
        def __init__(self, cause):
            super().__init__("ray::Map(f)() (pid=1)\n  File ...\nTraceback text")
            self.cause = cause

    inner = AugftError("corpus.jsonl:4: bad record")
    assert user_error(RemoteWrapper(inner)) is inner
    try:
        try:
            raise inner
        except AugftError as e:
            raise RuntimeError("UDF failed") from e
    except RuntimeError as outer:
        assert user_error(outer) is inner
    assert user_error(RuntimeError("no augft error")) is None
    plain = AugftError("x")
    assert user_error(plain) is plain
