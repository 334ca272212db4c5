"""Running the `wasmote` CLI in-process for tests: a documented failure must be a clean exit
(SystemExit with a message), never an exception escaping to the user."""

from __future__ import annotations

from click.testing import CliRunner, Result

from wasmote.cli import main


def run_cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.output
    return result


def assert_one_error_line(result: Result, fragment: str) -> None:
    """Failed with exactly one line of output that contains `fragment`, no traceback."""
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.output
    assert "Traceback" not in result.output
