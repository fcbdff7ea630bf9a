"""managed_files' decisions on real files in a temporary folder (owner and group: the test's own)."""

from __future__ import annotations

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.dataplatform.ops.plugins.modules import managed_files

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


class FakeModule:
    """Stands in for AnsibleModule (check and diff mode, fail_json): the file logic is what is tested."""

    def __init__(self, check_mode=False, diff=False):
        self.check_mode, self._diff = check_mode, diff

    def fail_json(self, msg, **_):
        raise AssertionError(msg)


def entry(path, content="a=1\n", mode="0640", secret=False, seed=False):
    return {"path": str(path), "content": content, "owner": OWNER, "group": GROUP, "mode": mode, "secret": secret,
            "seed": seed}


def test_a_new_file_is_written_with_its_mode_and_reported(tmp_path):
    diffs = []
    assert managed_files.ensure_file(FakeModule(), entry(tmp_path / "app.conf"), diffs) is True
    assert (tmp_path / "app.conf").read_text() == "a=1\n"
    assert stat.S_IMODE(os.stat(tmp_path / "app.conf").st_mode) == 0o640
    assert os.listdir(tmp_path) == ["app.conf"], "no temporary file is left behind"


def test_the_same_content_and_attributes_change_nothing(tmp_path):
    managed_files.ensure_file(FakeModule(), entry(tmp_path / "app.conf"), [])
    assert managed_files.ensure_file(FakeModule(), entry(tmp_path / "app.conf"), []) is False


def test_a_mode_alone_is_corrected_without_rewriting(tmp_path):
    managed_files.ensure_file(FakeModule(), entry(tmp_path / "app.conf"), [])
    inode = os.stat(tmp_path / "app.conf").st_ino
    assert managed_files.ensure_file(FakeModule(), entry(tmp_path / "app.conf", mode="0600"), []) is True
    assert stat.S_IMODE(os.stat(tmp_path / "app.conf").st_mode) == 0o600
    assert os.stat(tmp_path / "app.conf").st_ino == inode


def test_check_mode_writes_nothing_and_diff_hides_secrets(tmp_path):
    (tmp_path / "secret.properties").write_text("password=old\n")
    os.chmod(tmp_path / "secret.properties", 0o640)
    diffs = []
    module = FakeModule(check_mode=True, diff=True)
    assert managed_files.ensure_file(module, entry(tmp_path / "secret.properties", "password=new\n", secret=True), diffs)
    assert managed_files.ensure_file(module, entry(tmp_path / "plain.conf", "b=2\n"), diffs)
    assert (tmp_path / "secret.properties").read_text() == "password=old\n" and not (tmp_path / "plain.conf").exists()
    assert "password" not in diffs[0]["before"] + diffs[0]["after"]
    assert diffs[1]["after"] == "b=2\n"


def test_directories_are_made_and_corrected(tmp_path):
    folder = {"path": str(tmp_path / "data" / "flow"), "owner": OWNER, "group": GROUP, "mode": "0750"}
    assert managed_files.ensure_directory(FakeModule(), folder) is True
    assert stat.S_IMODE(os.stat(folder["path"]).st_mode) == 0o750
    assert managed_files.ensure_directory(FakeModule(), folder) is False


@pytest.mark.parametrize("mode", ["rw-r-----", "99999"])
def test_a_bad_mode_is_a_clear_error(tmp_path, mode):
    with pytest.raises(AssertionError, match="mode"):
        managed_files.ensure_file(FakeModule(), entry(tmp_path / "x", mode=mode), [])


def test_a_seed_is_written_once_and_then_left_to_its_service(tmp_path):
    path = tmp_path / "users.xml"
    assert managed_files.ensure_file(FakeModule(), entry(path, "<seed/>\n", seed=True), []) is True
    assert path.read_text() == "<seed/>\n"
    path.write_text("<rewritten by the service/>\n")
    os.chmod(path, 0o600)
    assert managed_files.ensure_file(FakeModule(), entry(path, "<another seed/>\n", seed=True), []) is False
    assert path.read_text() == "<rewritten by the service/>\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_mark_is_written_before_a_changed_content_and_only_then(tmp_path):
    mark = tmp_path / "restart-required"
    seen = []

    def before():
        managed_files.write_mark(str(mark))
        seen.append((tmp_path / "app.conf").exists() and (tmp_path / "app.conf").read_text())

    path = tmp_path / "app.conf"
    path.write_text("a=1\n")
    os.chmod(path, 0o640)
    assert managed_files.ensure_file(FakeModule(), entry(path), [], before) is False
    assert not mark.exists(), "nothing changed, no mark"
    assert managed_files.ensure_file(FakeModule(), entry(path, "a=2\n"), [], before) is True
    assert mark.exists() and seen == ["a=1\n"], "the mark exists before the new content is in place"
    assert path.read_text() == "a=2\n"
