from click.testing import CliRunner

from wasmote.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "wasmote" in result.output
