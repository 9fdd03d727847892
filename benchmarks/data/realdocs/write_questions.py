"""Write questions.jsonl from the questions below, which were written by hand from corpus.jsonl.

Each question is (kind, prompt, answer, distractors, source document ids). The prompt, the answer
and every hand-listed distractor were written by reading the documents; where `distractors` names a
pool (`package`, `person`, `handle`, `date`, `summary`, `version:<package>`), three distractors are
drawn from it with a seed derived from the question's id, leaving out the answer and any string
that a source document of the question contains. The split is the section the question is listed
in: `forward` (asked in the order the document states the fact), `reversal` (asked from the other
side: the change or the person first, the package, version or contribution completes it),
`inference` (the answer needs two documents, each stating one half). No model wrote or selected
any of them.

    python benchmarks/data/realdocs/write_questions.py
"""
import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).parent
PKG = "package"
PERSON = "person"
HANDLE = "handle"
DATE = "date"
SUMMARY = "summary"
OPTS = [" --session-timeout", " --timeout-disable-debugger-detection", " --identifier", " --no-override"]

FORWARD = [
    # pytest-timeout
    (PERSON, "In pytest-timeout 2.4.0, detecting debuggers registered with sys.monitoring was contributed by",
     " Rich Chiodo", PERSON, ["pt-2.4.0"]),
    (PERSON, "pytest-timeout 2.4.0 made it clear that the timeout message comes from pytest-timeout, thanks to",
     " Pedro Brochado", PERSON, ["pt-2.4.0"]),
    ("detail", "pytest-timeout 2.3.0 added the command-line option", " --session-timeout", OPTS, ["pt-2.3.0"]),
    ("detail", "pytest-timeout 2.3.0 made the minimum supported version of Pytest", " 7.0.0",
     [" 5.0.0", " 6.2.0", " 8.0.0"], ["pt-2.3.0"]),
    (PERSON, "In pytest-timeout 2.3.0, the --session-timeout option was contributed by", " Brian Okken", PERSON,
     ["pt-2.3.0"]),
    ("detail", "pytest-timeout 2.3.0 switched all of its output from sys.stderr to", " sys.stdout",
     [" a log file", " the pytest cache", " the terminal title"], ["pt-2.3.0"]),
    ("detail", "pytest-timeout 2.2.0 added a flag named", " --timeout-disable-debugger-detection", OPTS,
     ["pt-2.2.0"]),
    (PERSON, "In pytest-timeout 2.1.0, an API for extending pytest-timeout with third-party plugins was added "
     "thanks to", " Andrew Svetlov", PERSON, ["pt-2.1.0"]),
    ("detail", "pytest-timeout 2.1.0 gets the terminal width from", " shutil", [" os", " curses", " click"],
     ["pt-2.1.0"]),
    ("detail", "pytest-timeout 2.0.2 fixed debugger detection on", " OSX", [" Windows", " FreeBSD", " Linux"],
     ["pt-2.0.2"]),
    (PERSON, "In pytest-timeout 2.0.2, debugger detection on OSX was fixed thanks to", " Alexander Pacha", PERSON,
     ["pt-2.0.2"]),
    (PERSON, "In pytest-timeout 1.3.4, giving the threads a name to help debugging was contributed by",
     " Thomas Grainger", PERSON, ["pt-1.3.4"]),
    ("detail", "pytest-timeout 2.3.1 fixed build errors, mostly README syntax which stopped the upload by",
     " twine", [" flit", " poetry", " hatch"], ["pt-2.3.1"]),
    ("detail", "pytest-timeout 2.3.0 fixed debugger detection for recent", " VSCode",
     [" PyCharm", " Eclipse", " Spyder"], ["pt-2.3.0"]),
    # xxhash
    ("detail", "xxhash 4.1.0 upgraded the bundled xxHash from v0.8.3 to", " v0.8.4",
     [" v0.8.2", " v0.9.0", " v0.8.5"], ["xx-4.1.0"]),
    ("detail", "xxhash 4.1.0 dispatches XXH3 at runtime on", " x86 targets",
     [" ARM targets", " RISC-V targets", " PowerPC targets"], ["xx-4.1.0"]),
    ("detail", "In xxhash 4.1.0, on AVX2, xxh3 inputs longer than 240 bytes are faster by about", " 1.5x",
     [" 2x", " 3x", " 1.2x"], ["xx-4.1.0"]),
    ("detail", "xxhash 4.0.2 improved type annotation compatibility with", " hashlib",
     [" hmac", " zlib", " typing"], ["xx-4.0.2"]),
    ("detail", "xxhash 4.0.1 added a docstring to the module", " _xxhash",
     [" xxhash.cli", " _xxh3", " xxhash.version"], ["xx-4.0.1"]),
    ("detail", "xxhash 4.0.0 dropped support for Python", " 3.8", [" 3.7", " 3.6", " 3.10"], ["xx-4.0.0"]),
    ("detail", "xxhash 4.0.0 removed the deprecated", " xxhash.VERSION_TUPLE",
     [" xxhash.XXHASH_VERSION", " xxhash.algorithms_available", " xxhash.VERSION"], ["xx-4.0.0"]),
    ("detail", "Since xxhash 4.0.0, passing a str input raises", " TypeError",
     [" ValueError", " UnicodeError", " RuntimeError"], ["xx-4.0.0"]),
    ("detail", "xxhash 3.8.2 built wheels for Python", " 3.15", [" 3.14", " 3.13", " 3.12"], ["xx-3.8.2"]),
    ("detail", "xxhash 3.8.1 registered the pytest mark", ' "benchmark"',
     [' "slow"', ' "network"', ' "xfail_strict"'], ["xx-3.8.1"]),
    (DATE, "xxhash 4.1.0 was released on", " 2026-11-09", DATE, ["xx-4.1.0"]),
    (PERSON, "xxhash is a Python binding for the xxHash library by", " Yann Collet", PERSON, ["xx-about"]),
    # pybase64
    ("detail", "pybase64 1.5.1 fixed a Py_buffer", " Use-After-Release in error paths",
     [" memory leak in error paths", " double free in error paths", " buffer overflow in error paths"],
     ["pb-1.5.1"]),
    ("detail", "pybase64 1.5.0 sped up translation on", " aarch64", [" x86_64", " riscv64", " armv7l"],
     ["pb-1.5.0"]),
    ("detail", "pybase64 1.5.0 added the padded and wrapcol parameters to", " b64encode",
     [" b64decode", " urlsafe_b64decode", " standard_b64encode"], ["pb-1.5.0"]),
    ("detail", "pybase64 1.5.0 stopped publishing wheels for Python", " 3.13t", [" 3.12", " 3.14t", " 3.11"],
     ["pb-1.5.0"]),
    ("detail", "pybase64 1.4.3 published wheels for GraalPy", " v25", [" v23", " v24", " v22"], ["pb-1.4.3"]),
    ("detail", "pybase64 1.4.2 updated the base64 library, adding support for", " Windows ARM64 Neon",
     [" macOS ARM64 Neon", " Windows AVX512", " Linux AVX2"], ["pb-1.4.2"]),
    ("detail", "pybase64 1.4.1 published wheels for PyPy", " 3.11", [" 3.10", " 3.9", " 3.12"], ["pb-1.4.1"]),
    ("detail", "pybase64 1.4.0 added support for", " free-threaded builds",
     [" sub-interpreters", " WebAssembly builds", " debug builds"], ["pb-1.4.0"]),
    ("detail", "pybase64 1.4.0 dropped support for Python", " 3.6 & 3.7", [" 3.8", " 3.5", " 3.9"], ["pb-1.4.0"]),
    ("detail", "pybase64 1.3.0 added an implementation using", " AVX512-VBMI", [" AVX2", " SSE4.1", " NEON"],
     ["pb-1.3.0"]),
    ("detail", "In pybase64 1.3.0, the documentation now uses the theme", " furo",
     [" alabaster", " sphinx_rtd_theme", " pydata"], ["pb-1.3.0"]),
    ("detail", 'pybase64 uses the same API as Python base64\'s "modern interface", introduced in Python', " 2.4",
     [" 3.0", " 2.7", " 3.4"], ["pb-about"]),
    # python-dotenv
    ("detail", "In python-dotenv 1.2.4, dotenv get no longer exits with code 1 for", " empty string values",
     [" missing keys", " commented lines", " quoted values"], ["de-1.2.4a"]),
    (HANDLE, "In python-dotenv 1.2.4, the fix that stops dotenv get exiting with code 1 for empty values was made by",
     " @ShamikOfficial", HANDLE, ["de-1.2.4a"]),
    ("detail", "python-dotenv 1.2.4 parses an unquoted empty value followed by an inline comment as",
     " an empty string", [" the comment text", " None", " a syntax error"], ["de-1.2.4b"]),
    ("detail", "python-dotenv 1.2.3 strips from .env file contents a leading", " UTF-8 BOM",
     [" shebang line", " export keyword", " blank line"], ["de-1.2.3a"]),
    ("detail", "In python-dotenv 1.2.3, the BOM fix mentions files saved by some", " JetBrains IDEs on Windows",
     [" Visual Studio versions on Windows", " text editors on macOS", " Eclipse IDEs on Linux"], ["de-1.2.3a"]),
    ("detail", "python-dotenv 1.2.3 makes dotenv run print a friendly error instead of a traceback when",
     " no command is given", [" the .env file is missing", " a key is undefined", " the shell is unknown"],
     ["de-1.2.3b"]),
    ("detail", "python-dotenv 1.2.2 updated its PyPy support to version", " 3.11", [" 3.10", " 3.9", " 3.12"],
     ["de-1.2.2"]),
    ("detail", "python-dotenv 1.2.2 added support for Python 3.14, including the", " free-threaded (3.14t) build",
     [" WebAssembly build", " debug build", " JIT build"], ["de-1.2.2"]),
    ("detail", "python-dotenv 1.2.2 added documentation for", " FIFO file support",
     [" symlink support", " Docker secrets support", " YAML file support"], ["de-1.2.2"]),
    ("detail", "python-dotenv reads key-value pairs from a", " .env file",
     [" .ini file", " YAML file", " TOML file"], ["de-about"]),
    (DATE, "python-dotenv 1.2.3 was released on", " 2026-08-16", DATE, ["de-1.2.3a"]),
    # tensorboardX
    ("detail", "tensorboardX 2.6.5 bumped its protobuf dependency to", " >=5.29.6",
     [" >=3.20", " >=4.21.0", " >=5.26.1"], ["tb-2.6.5"]),
    ("detail", "tensorboardX 2.6.5 fixed the os.fsync call for non-file writers such as", " S3 and GCS",
     [" HDFS and NFS", " Azure and S3", " FTP and SFTP"], ["tb-2.6.5"]),
    ("detail", "tensorboardX 2.6.5 fixed SummaryWriter writing to disk when write_to_disk=False in",
     " add_scalars", [" add_graph", " add_image", " add_histogram"], ["tb-2.6.5"]),
    ("detail", "tensorboardX 2.6.3 added support for tensors of", " PaddlePaddle",
     [" JAX", " MXNet", " TensorFlow"], ["tb-2.6.3"]),
    ("detail", "tensorboardX 2.6.3 added a context manager named", " use_metadata",
     [" use_strict_trace", " log_metadata", " record_metadata"], ["tb-2.6.3"]),
    ("detail", "tensorboardX 2.6.3 added support for version 2 of", " MoviePy",
     [" Pillow", " imageio", " OpenCV"], ["tb-2.6.3"]),
    ("detail", "tensorboardX 2.6.2.2 added a lower bound for the version of", " protobuf",
     [" numpy", " packaging", " six"], ["tb-2.6.2.2"]),
    ("detail", "tensorboardX 2.6.1 exposed the use_strict_trace parameter in", " add_graph",
     [" add_scalars", " add_embedding", " add_text"], ["tb-2.6.1"]),
    ("detail", "tensorboardX 2.6.1 upgraded to protobuf", " 4", [" 3", " 5", " 2"], ["tb-2.6.1"]),
    ("detail", "tensorboardX 2.5 improved its integration with", " Comet",
     [" Weights & Biases", " MLflow", " Neptune"], ["tb-2.5"]),
    ("detail", "tensorboardX 2.4.1 fixed a comet plugin bug that happened if the writer is", " reused",
     [" closed", " pickled", " flushed"], ["tb-2.4.1"]),
    (DATE, "tensorboardX 2.6.3 was released on", " 2025-04-24", DATE, ["tb-2.6.3"]),
    # supervisor
    (PERSON, "In supervisor 4.3.0, the fix for the poller not unregistering a closed file descriptor was a patch by",
     " aftersnow", PERSON, ["sv-4.3.0a"]),
    (PERSON, "In supervisor 4.3.0, a unit test that failed only on Python 3.13 was fixed in a patch by",
     " Colin Watson", PERSON, ["sv-4.3.0b"]),
    ("detail", "Since supervisor 4.3.0, on Python 3.8 and later, there is no runtime dependency on", " setuptools",
     [" six", " meld3", " packaging"], ["sv-4.3.0c"]),
    (PERSON, "In supervisor 4.3.0, dropping setuptools as a runtime dependency was a patch by", " Ofek Lev", PERSON,
     ["sv-4.3.0c"]),
    ("detail", "supervisor 4.2.5 fixed the XML-RPC method supervisor.startProcess(), which could return",
     " 500 Internal Server Error", [" 404 Not Found", " 410 Gone", " 403 Forbidden"], ["sv-4.2.5a"]),
    ("detail", "Since supervisor 4.2.5, supervisor.getAllConfigInfo() includes the directory, uid and",
     " serverurl", [" umask", " priority", " logfile"], ["sv-4.2.5b"]),
    (PERSON, "The patch that made supervisor.getAllConfigInfo() include the serverurl, in supervisor 4.2.5, was by",
     " Yellmean", PERSON, ["sv-4.2.5b"]),
    ("detail", "Since supervisor 4.2.5, an exit with an unexpected exit code is logged at the level", " WARN",
     [" ERROR", " DEBUG", " CRIT"], ["sv-4.2.5c"]),
    ("detail", "supervisor 4.2.5 closes file descriptors using the faster", " os.closerange()",
     [" os.close()", " os.fsync()", " fcntl.fcntl()"], ["sv-4.2.5d"]),
    (PERSON, "In supervisor 4.2.5, closing file descriptors with os.closerange() was a patch by", " tyong920",
     PERSON, ["sv-4.2.5d"]),
    ("detail", "supervisor 4.2.4 fixed a bug where this command line argument was ignored:", " --identifier",
     OPTS, ["sv-4.2.4"]),
    ("detail", "Since supervisor 4.2.3, for a missing log file the web interface returns", " 404 Not Found",
     [" 410 Gone", " 500 Internal Server Error", " 403 Forbidden"], ["sv-4.2.3"]),
    ("detail", "Supervisor is a client/server system that allows its users to control a number of processes on",
     " UNIX-like operating systems", [" Windows servers", " Kubernetes clusters", " embedded devices"],
     ["sv-about"]),
    (DATE, "supervisor 4.3.0 was released on", " 2025-08-23", DATE, ["sv-4.3.0a"]),
]

REVERSAL = [
    # the change first, the version completes it
    ("version", "Debuggers registered with sys.monitoring are detected since pytest-timeout version", " 2.4.0",
     "version:pt", ["pt-2.4.0"]),
    ("version", "The --session-timeout option was added in pytest-timeout version", " 2.3.0", "version:pt",
     ["pt-2.3.0"]),
    ("version", "The --timeout-disable-debugger-detection flag was added in pytest-timeout version", " 2.2.0",
     "version:pt", ["pt-2.2.0"]),
    ("version", "An API for extending pytest-timeout with third-party plugins was added in version", " 2.1.0",
     "version:pt", ["pt-2.1.0"]),
    ("version", "The bundled xxHash was upgraded from v0.8.3 to v0.8.4 in xxhash version", " 4.1.0", "version:xx",
     ["xx-4.1.0"]),
    ("version", "Support for Python 3.8 was dropped in xxhash version", " 4.0.0", "version:xx", ["xx-4.0.0"]),
    ("version", "xxhash built wheels for Python 3.15 in version", " 3.8.2", "version:xx", ["xx-3.8.2"]),
    ("version", 'The "benchmark" pytest mark was registered in xxhash version', " 3.8.1", "version:xx",
     ["xx-3.8.1"]),
    ("version", "The _xxhash module docstring was added in xxhash version", " 4.0.1", "version:xx", ["xx-4.0.1"]),
    ("version", "The release of xxhash on 2026-08-17 is version", " 4.0.1", "version:xx", ["xx-4.0.1"]),
    ("version", "The padded and wrapcol parameters were added to b64encode in pybase64 version", " 1.5.0",
     "version:pb", ["pb-1.5.0"]),
    ("version", "An AVX512-VBMI implementation was added in pybase64 version", " 1.3.0", "version:pb",
     ["pb-1.3.0"]),
    ("version", "Wheels for GraalPy v25 were published in pybase64 version", " 1.4.3", "version:pb", ["pb-1.4.3"]),
    ("version", "pybase64 published Linux riscv64 wheels in version", " 1.4.2", "version:pb", ["pb-1.4.2"]),
    ("version", "Support for free-threaded builds was added in pybase64 version", " 1.4.0", "version:pb",
     ["pb-1.4.0"]),
    ("version", "pybase64 published python 3.12 wheels in version", " 1.3.0", "version:pb", ["pb-1.3.0"]),
    ("version", "The dotenv run command forwards flags directly to the specified command since python-dotenv "
     "version", " 1.2.2", "version:de", ["de-1.2.2"]),
    ("version", "dotenv run prints a friendly error instead of a traceback when no command is given since "
     "python-dotenv version", " 1.2.3", "version:de", ["de-1.2.3b"]),
    ("version", "The release of python-dotenv on 2026-10-01 is version", " 1.2.4", "version:de", ["de-1.2.4a"]),
    ("version", "Support for PaddlePaddle tensors was added in tensorboardX version", " 2.6.3", "version:tb",
     ["tb-2.6.3"]),
    ("version", "The use_strict_trace parameter of add_graph was exposed in tensorboardX version", " 2.6.1",
     "version:tb", ["tb-2.6.1"]),
    ("version", "The protobuf dependency was bumped to >=5.29.6 in tensorboardX version", " 2.6.5", "version:tb",
     ["tb-2.6.5"]),
    ("version", "Comet integration improvements came in tensorboardX version", " 2.5", "version:tb", ["tb-2.5"]),
    ("version", "The release of tensorboardX on 2026-04-03 is version", " 2.6.5", "version:tb", ["tb-2.6.5"]),
    ("version", "The ignored --identifier command line argument was fixed in supervisor version", " 4.2.4",
     "version:sv", ["sv-4.2.4"]),
    ("version", "Unexpected exit codes are logged at the WARN level instead of INFO since supervisor version",
     " 4.2.5", "version:sv", ["sv-4.2.5c"]),
    ("version", "A 404 Not Found response for a missing log file replaced 410 Gone in supervisor version",
     " 4.2.3", "version:sv", ["sv-4.2.3"]),
    # the change or the person first, the package completes it
    (PKG, "Brian Okken was thanked for adding a session timeout option to", " pytest-timeout", PKG, ["pt-2.3.0"]),
    (PKG, "Thomas Grainger was thanked for giving the threads a name to help debugging in", " pytest-timeout",
     PKG, ["pt-1.3.4"]),
    (PKG, "Alexander Pacha fixed debugger detection on OSX in", " pytest-timeout", PKG, ["pt-2.0.2"]),
    (PKG, "Adrian Gielniewski fixed debugger detection for recent VSCode in", " pytest-timeout", PKG,
     ["pt-2.3.0"]),
    (PKG, "Type annotation compatibility with hashlib was improved in version 4.0.2 of", " xxhash", PKG,
     ["xx-4.0.2"]),
    (PKG, "str input stopped being accepted, raising TypeError, in version 4.0.0 of", " xxhash", PKG,
     ["xx-4.0.0"]),
    (PKG, "A Py_buffer Use-After-Release in error paths was fixed in version 1.5.1 of", " pybase64", PKG,
     ["pb-1.5.1"]),
    (PKG, "Wheels for armv7l were published in version 1.4.1 of", " pybase64", PKG, ["pb-1.4.1"]),
    (PKG, "The documentation adopted the furo theme in version 1.3.0 of", " pybase64", PKG, ["pb-1.3.0"]),
    (PKG, "@Noethix55555 fixed how an unquoted empty value followed by an inline comment is parsed in",
     " python-dotenv", PKG, ["de-1.2.4b"]),
    (PKG, "@ShamikOfficial fixed an exit code for empty string values in", " python-dotenv", PKG, ["de-1.2.4a"]),
    (PKG, "Support for Python 3.14, including the free-threaded build, arrived on 2026-03-01 in", " python-dotenv",
     PKG, ["de-1.2.2"]),
    (PKG, "MoviePy version 2 support was added on 2025-04-24 in", " tensorboardX", PKG, ["tb-2.6.3"]),
    (PKG, "A GCS Connection Error was fixed in version 2.6.1 of", " tensorboardX", PKG, ["tb-2.6.1"]),
    (PKG, "Colin Watson patched a unit test that failed only on Python 3.13 in", " supervisor", PKG, ["sv-4.3.0b"]),
    (PKG, "Precy Lee's patch changed the level at which unexpected exit codes are logged in", " supervisor", PKG,
     ["sv-4.2.5c"]),
    (PKG, "Ofek Lev's patch removed the runtime dependency on setuptools from", " supervisor", PKG, ["sv-4.3.0c"]),
    (PKG, "A Python binding for the library written by Yann Collet is the package", " xxhash", PKG, ["xx-about"]),
    # the person first, the contribution completes it
    ("detail", "Julien Le Cléach fixed, in supervisor 4.2.4, the ignored command line argument", " --identifier",
     OPTS, ["sv-4.2.4"]),
    ("detail", "Michael Peters contributed to pytest-timeout 2.2.0 the flag", " --timeout-disable-debugger-detection",
     OPTS, ["pt-2.2.0"]),
    ("detail", "@h1whelan made python-dotenv 1.2.3 strip from .env file contents a leading", " UTF-8 BOM",
     [" shebang line", " export keyword", " blank line"], ["de-1.2.3a"]),
    ("detail", "tyong920 made supervisor 4.2.5 close file descriptors using", " os.closerange()",
     [" os.close()", " os.fsync()", " fcntl.fcntl()"], ["sv-4.2.5d"]),
    ("detail", "Yellmean made supervisor.getAllConfigInfo() in supervisor 4.2.5 include the directory, uid and",
     " serverurl", [" umask", " priority", " logfile"], ["sv-4.2.5b"]),
]

S = "The package that {} has this summary:"
INFERENCE = [
    # a change (its changelog names the package) -> the package's summary (its summary document)
    (SUMMARY, S.format("detects debuggers registered with sys.monitoring since version 2.4.0"),
     " pytest plugin to abort hanging tests", SUMMARY, ["pt-2.4.0", "pt-sum"]),
    (SUMMARY, S.format("fixed debugger detection on OSX in version 2.0.2"),
     " pytest plugin to abort hanging tests", SUMMARY, ["pt-2.0.2", "pt-sum"]),
    (SUMMARY, S.format("thanked Thomas Grainger for giving the threads a name"),
     " pytest plugin to abort hanging tests", SUMMARY, ["pt-1.3.4", "pt-sum"]),
    (SUMMARY, S.format("added an API for extending its functionality with third-party plugins in version 2.1.0"),
     " pytest plugin to abort hanging tests", SUMMARY, ["pt-2.1.0", "pt-sum"]),
    (SUMMARY, S.format("built wheels for Python 3.15 in version 3.8.2"),
     " Python binding for xxHash", SUMMARY, ["xx-3.8.2", "xx-sum"]),
    (SUMMARY, S.format("stopped accepting str input in version 4.0.0"),
     " Python binding for xxHash", SUMMARY, ["xx-4.0.0", "xx-sum"]),
    (SUMMARY, S.format("cleaned up its _parse_init_args keyword handling in version 4.0.1"),
     " Python binding for xxHash", SUMMARY, ["xx-4.0.1", "xx-sum"]),
    (SUMMARY, S.format("published GraalPy v25 wheels in version 1.4.3"),
     " Fast Base64 encoding/decoding", SUMMARY, ["pb-1.4.3", "pb-sum"]),
    (SUMMARY, S.format("published iOS wheels in version 1.4.2"),
     " Fast Base64 encoding/decoding", SUMMARY, ["pb-1.4.2", "pb-sum"]),
    (SUMMARY, S.format("sped up translation on aarch64 in version 1.5.0"),
     " Fast Base64 encoding/decoding", SUMMARY, ["pb-1.5.0", "pb-sum"]),
    (SUMMARY, S.format("added MSYS2 support for its C-extension in version 1.4.0"),
     " Fast Base64 encoding/decoding", SUMMARY, ["pb-1.4.0", "pb-sum"]),
    (SUMMARY, S.format("no longer exits with code 1 for empty string values in its get command since 1.2.4"),
     " Read key-value pairs from a .env file and set them as environment variables", SUMMARY,
     ["de-1.2.4a", "de-sum"]),
    (SUMMARY, S.format("accepted @Noethix55555's fix for an unquoted empty value followed by an inline comment"),
     " Read key-value pairs from a .env file and set them as environment variables", SUMMARY,
     ["de-1.2.4b", "de-sum"]),
    (SUMMARY, S.format("added documentation for FIFO file support in version 1.2.2"),
     " Read key-value pairs from a .env file and set them as environment variables", SUMMARY,
     ["de-1.2.2", "de-sum"]),
    (SUMMARY, S.format("added a use_metadata context manager in version 2.6.3"),
     " TensorBoardX lets you watch Tensors Flow without Tensorflow", SUMMARY, ["tb-2.6.3", "tb-sum"]),
    (SUMMARY, S.format("fixed a comet plugin bug in version 2.4.1"),
     " TensorBoardX lets you watch Tensors Flow without Tensorflow", SUMMARY, ["tb-2.4.1", "tb-sum"]),
    (SUMMARY, S.format("upgraded to protobuf 4 in version 2.6.1"),
     " TensorBoardX lets you watch Tensors Flow without Tensorflow", SUMMARY, ["tb-2.6.1", "tb-sum"]),
    (SUMMARY, S.format("closes file descriptors with os.closerange() since version 4.2.5"),
     " A system for controlling process state under UNIX", SUMMARY, ["sv-4.2.5d", "sv-sum"]),
    (SUMMARY, S.format("fixed excessive polling caused by a closed file descriptor in version 4.3.0"),
     " A system for controlling process state under UNIX", SUMMARY, ["sv-4.3.0a", "sv-sum"]),
    (SUMMARY, S.format("returns 404 Not Found for a missing log file since version 4.2.3"),
     " A system for controlling process state under UNIX", SUMMARY, ["sv-4.2.3", "sv-sum"]),
    # a change -> a fact of the package's description
    (PERSON, "The package that registered the \"benchmark\" pytest mark in version 3.8.1 is a Python binding for a "
     "library written by", " Yann Collet", PERSON, ["xx-3.8.1", "xx-about"]),
    (PERSON, "The package that improved its type annotation compatibility with hashlib in version 4.0.2 is a Python "
     "binding for a library written by", " Yann Collet", PERSON, ["xx-4.0.2", "xx-about"]),
    ("detail", "The package that added an AVX512-VBMI implementation in version 1.3.0 uses the same API as Python "
     "base64's \"modern interface\", introduced in Python", " 2.4", [" 3.0", " 2.7", " 3.4"],
     ["pb-1.3.0", "pb-about"]),
    ("detail", "The package whose version 4.2.4 fixed the ignored --identifier argument is a client/server system "
     "that allows its users to control a number of processes on", " UNIX-like operating systems",
     [" Windows servers", " Kubernetes clusters", " embedded devices"], ["sv-4.2.4", "sv-about"]),
    # bridged by a contributor named in two documents
    ("detail", "The contributor who fixed the ignored --identifier argument of supervisor also fixed the XML-RPC "
     "method", " supervisor.startProcess()",
     [" supervisor.getAllConfigInfo()", " supervisor.stopProcess()", " supervisor.readLog()"],
     ["sv-4.2.4", "sv-4.2.5a"]),
    ("detail", "The contributor who fixed supervisor.startProcess() returning 500 Internal Server Error also fixed "
     "a bug where this command line argument was ignored:", " --identifier", OPTS, ["sv-4.2.5a", "sv-4.2.4"]),
    ("detail", "The contributor who made dotenv run print a friendly error when no command is given also made "
     "dotenv run", " forward flags directly to the specified command",
     [" expand variables from the environment first", " read .env files from parent folders",
      " print the loaded keys before the command"], ["de-1.2.3b", "de-1.2.2"]),
    ("detail", "The contributor who made dotenv run forward flags directly to the specified command also made "
     "dotenv run print a friendly error instead of a traceback when", " no command is given",
     [" the .env file is missing", " a key is undefined", " the shell is unknown"], ["de-1.2.2", "de-1.2.3b"]),
    # two documents of two packages, answered together
    ("pair", "The packages that published python 3.15 wheels in version 1.5.0 and built wheels for Python 3.15 in "
     "version 3.8.2 are, respectively,", " pybase64 and xxhash",
     [" xxhash and pybase64", " pybase64 and supervisor", " tensorboardX and xxhash"], ["pb-1.5.0", "xx-3.8.2"]),
    ("pair", "The packages whose release notes thank Brian Okken and Colin Watson are, respectively,",
     " pytest-timeout and supervisor",
     [" supervisor and pytest-timeout", " pytest-timeout and xxhash", " tensorboardX and supervisor"],
     ["pt-2.3.0", "sv-4.3.0b"]),
    ("pair", "The packages that dropped Python 3.8 support in versions 4.0.0 and 1.5.0 are, respectively,",
     " xxhash and pybase64", [" pybase64 and xxhash", " xxhash and python-dotenv", " supervisor and pybase64"],
     ["xx-4.0.0", "pb-1.5.0"]),
    ("pair", "The packages released on 2026-04-03 and 2026-03-01 are, respectively,",
     " tensorboardX and python-dotenv",
     [" python-dotenv and tensorboardX", " tensorboardX and xxhash", " xxhash and python-dotenv"],
     ["tb-2.6.5", "de-1.2.2"]),
    ("pair", "The packages that added support for PaddlePaddle tensors and an AVX512-VBMI implementation are, "
     "respectively,", " tensorboardX and pybase64",
     [" pybase64 and tensorboardX", " tensorboardX and xxhash", " xxhash and pybase64"], ["tb-2.6.3", "pb-1.3.0"]),
    ("pair", "Pedro Algarvio and Ofek Lev contributed, respectively, to", " pytest-timeout and supervisor",
     [" supervisor and pytest-timeout", " pytest-timeout and python-dotenv", " xxhash and supervisor"],
     ["pt-2.3.0", "sv-4.3.0c"]),
    ("pair", "The packages that published armv7l wheels and fixed a GCS Connection Error are, respectively,",
     " pybase64 and tensorboardX",
     [" tensorboardX and pybase64", " pybase64 and supervisor", " xxhash and tensorboardX"],
     ["pb-1.4.1", "tb-2.6.1"]),
]


def pools(corpus: dict) -> dict:
    """Same-type candidates from the corpus, for the questions that draw their distractors."""
    out = {PKG: sorted({d["meta"]["package"] for d in corpus.values()}),
           PERSON: ["Rich Chiodo", "Pedro Brochado", "Adrian Gielniewski", "Pedro Algarvio", "Brian Okken",
                    "Michael Peters", "Andrew Svetlov", "Alexander Pacha", "Thomas Grainger", "aftersnow",
                    "Colin Watson", "Ofek Lev", "Julien Le Cléach", "Yellmean", "Precy Lee", "tyong920",
                    "Yann Collet"],
           HANDLE: ["@ShamikOfficial", "@Noethix55555", "@h1whelan", "@bbc2"],
           SUMMARY: [d["text"].split(": ", 1)[1] for d in corpus.values() if d["meta"]["part"] == "summary"],
           DATE: sorted({t for d in corpus.values() for t in _dates(d["text"].splitlines()[0])})}
    for d in corpus.values():
        if d["meta"]["part"] == "changelog":
            version = d["text"].split()[1].rstrip(":")
            out.setdefault("version:" + d["id"][:2], [])
            if version not in out["version:" + d["id"][:2]]:
                out["version:" + d["id"][:2]].append(version)
    out["version:de"].append("1.2.1")  # three versions in the corpus; a fourth choice from its changelog
    return out


def _dates(line: str) -> list:
    return [w.strip("():") for w in line.split() if w.strip("():")[:2] == "20" and w.count("-") == 2]


def question(qid: str, split: str, item: tuple, corpus: dict, pool: dict) -> dict:
    kind, prompt, answer, distractors, sources = item
    if isinstance(distractors, str):
        texts = " ".join(corpus[s]["text"] for s in sources)
        rng = random.Random(int(hashlib.sha256(qid.encode()).hexdigest(), 16))
        candidates = [" " + c for c in pool[distractors] if " " + c != answer and c not in texts]
        distractors = rng.sample(candidates, 3)
    distractors = [d for d in distractors if d != answer]  # a shared list (OPTS) holds the answer too
    assert len(distractors) == 3, qid
    choices = [answer] + distractors
    random.Random(qid).shuffle(choices)
    return {"id": qid, "split": split, "kind": kind, "prompt": prompt, "choices": choices,
            "answer": choices.index(answer), "source_ids": list(sources), "meta": {"written_by": "hand"}}


def rows(corpus_path: Path = HERE / "corpus.jsonl") -> list:
    """Every question as a questions.jsonl record, in file order."""
    corpus = {d["id"]: d for d in map(json.loads, corpus_path.read_text().splitlines())}
    pool = pools(corpus)
    return [question(f"{split}-{i:03d}", split, item, corpus, pool)
            for split, items in (("forward", FORWARD), ("reversal", REVERSAL), ("inference", INFERENCE))
            for i, item in enumerate(items)]


def main() -> None:
    records = rows()
    (HERE / "questions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    print({s: sum(r["split"] == s for r in records) for s in ("forward", "reversal", "inference")})


if __name__ == "__main__":
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__)
        raise SystemExit(0)
    main()
