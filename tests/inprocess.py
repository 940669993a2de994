"""Run the ``driftwatch`` command inside the test process, as ``python -m driftwatch`` would.

A fresh interpreter costs about two seconds (Python, spaCy, the model); most tests only
read a command's exit code, stdout and stderr, which do not need one. :func:`run_driftwatch`
goes through the console script's own entry point (``driftwatch.cli.main``, so its
one-line errors and exit codes are the ones users get) with the environment, working
directory and standard streams the subprocess would have had, and answers with a
``subprocess.CompletedProcess``. What it cannot stand in for, tests keep as real
processes: signals, kills and crashes, locks held by another process, start-up and
imports, and whether output is piped.

Like the interpreter, it prints an exception that escapes ``main`` as a traceback on
stderr and exits 1, and it prints warnings on stderr under Python's default filters,
so "no Traceback, one line" assertions keep their meaning. Logging, signal handlers and
the secrets registered for redaction are put back afterwards, so one command's state
does not leak into the next test (a new process would not have had it either).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import traceback
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from click.testing import CliRunner

# Python's default warning filters (what a fresh `python -m driftwatch` shows).
_DEFAULT_FILTERS = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, None),
    ("ignore", PendingDeprecationWarning, None),
    ("ignore", ImportWarning, None),
    ("ignore", ResourceWarning, None),
)


@contextmanager
def _exact_environ(env: Mapping[str, str] | None) -> Iterator[None]:
    """os.environ becomes exactly ``env`` (as ``subprocess.run(env=...)`` gives the child)."""
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _process_state_restored() -> Iterator[None]:
    """Logging, signal handlers and registered secrets as they were before the command."""
    from driftwatch import logs

    root, ours = logging.getLogger(), logging.getLogger("driftwatch")
    saved_logging = (root.handlers[:], root.level, ours.handlers[:], ours.level, ours.propagate)
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    saved_secrets = set(logs._registered)
    try:
        yield
    finally:
        root.handlers[:], root.level, ours.handlers[:], ours.level, ours.propagate = saved_logging
        for sig, handler in saved_signals.items():
            signal.signal(sig, handler)
        logs._registered.clear()
        logs._registered.update(saved_secrets)


def _call_main(args: Sequence[str]) -> int:
    from driftwatch.cli import main

    saved_argv = sys.argv
    sys.argv = ["driftwatch", *args]
    try:
        main()
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)  # what the interpreter does with a non-integer exit value
        return 1
    except BaseException:  # noqa: BLE001 - an escaping exception is what the test must see
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved_argv
    return 0


def run_driftwatch(args: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                   input: str | None = None, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """``subprocess.run([python, "-m", "driftwatch", *args], env=env, cwd=cwd, capture_output=True, text=True)``
    without the new interpreter. ``timeout`` is accepted for symmetry; pytest-timeout bounds the test."""
    del timeout
    runner = CliRunner()
    saved_cwd = os.getcwd()
    with _exact_environ(env), _process_state_restored():
        with runner.isolation(input=input) as (stdout, stderr, _mixed):
            if cwd is not None:
                os.chdir(cwd)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.resetwarnings()
                    for action, category, module in reversed(_DEFAULT_FILTERS):
                        warnings.filterwarnings(action, category=category, module=module or "")
                    code = _call_main(args)
                for warning in caught:
                    sys.stderr.write(warnings.formatwarning(warning.message, warning.category, warning.filename,
                                                            warning.lineno, warning.line))
            finally:
                os.chdir(saved_cwd)
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = stdout.getvalue(), stderr.getvalue()
    return subprocess.CompletedProcess(["driftwatch", *args], code, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))
