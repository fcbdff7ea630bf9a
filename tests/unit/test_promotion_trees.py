"""promote.yml's check (.github/scripts/promotable.sh) on a real git repository: a release is
promotable to ppd when its tree is the tree of a commit the terraform workflow applied in dev (a
feature branch), and to prod when its release branch head's tree was applied in ppd. Trees, not
commit ids: main's squash or merge commit is never the commit dev applied.

The repository is real (a bare origin and a clone, as actions/checkout makes it with
fetch-depth 0); GitHub is a fake ``gh`` on PATH that answers ``gh run list`` from a list of
workflow runs, through the real jq with the script's own filter, and ``gh api …/git/commits/<sha>``
from the origin (a commit of a deleted branch the clone lacks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "promotable.sh"
REPOSITORY = "example-org/dataplatform-ops"

FAKE_GH = textwrap.dedent('''\
    #!/usr/bin/env python3
    """gh as the promotion check calls it: run list (through jq) and a commit's tree."""
    import json, os, subprocess, sys
    args = sys.argv[1:]
    with open(os.environ["FAKE_GH_LOG"], "a") as log:
        log.write(json.dumps(args) + "\\n")
    jq = args[args.index("--jq") + 1] if "--jq" in args else "."
    if args[:2] == ["run", "list"]:
        assert args[args.index("--workflow") + 1] == "terraform.yml", args
        runs = json.load(open(os.environ["FAKE_GH_RUNS"]))
        if "--status" in args:
            runs = [run for run in runs if run["conclusion"] == args[args.index("--status") + 1]]
        sys.exit(subprocess.run(["jq", "-r", jq], input=json.dumps(runs), text=True).returncode)
    if args[0] == "api" and "/git/commits/" in args[1]:
        sha = args[1].rsplit("/", 1)[1]
        tree = subprocess.run(["git", "-C", os.environ["FAKE_GH_ORIGIN"], "rev-parse", "--verify", "--quiet",
                               sha + "^{tree}"], capture_output=True, text=True)
        if tree.returncode:
            print("gh: Not Found (HTTP 404)", file=sys.stderr)
            sys.exit(1)
        sys.exit(subprocess.run(["jq", "-r", jq], input=json.dumps({"sha": sha, "tree": {"sha": tree.stdout.strip()}}),
                                text=True).returncode)
    print("fake gh: unexpected call " + " ".join(args), file=sys.stderr)
    sys.exit(2)
''')


def git(directory: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(directory), *args], check=True, capture_output=True, text=True)
    return result.stdout.strip()


class Repository:
    """A bare origin, a developer's clone that pushes to it, and the runs GitHub reports."""

    def __init__(self, root: Path):
        self.root = root
        self.origin = root / "origin.git"
        self.work = root / "work"
        self.runs: list[dict] = []
        subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(self.origin)], check=True)
        subprocess.run(["git", "clone", "--quiet", str(self.origin), str(self.work)], check=True, capture_output=True)
        git(self.work, "config", "user.email", "dev@example.org")
        git(self.work, "config", "user.name", "Dev")
        git(self.work, "checkout", "--quiet", "-b", "main")
        self.commit("terraform/main.tf", "base\n", "base")
        git(self.work, "push", "--quiet", "origin", "main")

    def commit(self, path: str, content: str, message: str) -> str:
        file = self.work / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content)
        git(self.work, "add", path)
        git(self.work, "commit", "--quiet", "-m", message)
        return git(self.work, "rev-parse", "HEAD")

    def applied(self, sha: str, branch: str, event: str = "push", conclusion: str = "success") -> None:
        """A terraform workflow run GitHub reports (newest first)."""
        self.runs.insert(0, {"headSha": sha, "headBranch": branch, "event": event, "conclusion": conclusion})

    def feature_applied_in_dev(self, name: str) -> str:
        """feature/<name> with two commits, pushed (dev applied its head); back on main."""
        git(self.work, "checkout", "--quiet", "-b", f"feature/{name}", "main")
        self.commit(f"terraform/{name}.tf", "first\n", f"{name}: first")
        head = self.commit(f"terraform/{name}.tf", "second\n", f"{name}: second")
        git(self.work, "push", "--quiet", "origin", f"feature/{name}")
        self.applied(head, f"feature/{name}")
        git(self.work, "checkout", "--quiet", "main")
        return head

    def squash_merge(self, branch: str) -> str:
        git(self.work, "merge", "--quiet", "--squash", branch)
        git(self.work, "commit", "--quiet", "-m", f"Squashed {branch}")
        git(self.work, "push", "--quiet", "origin", "main")
        return git(self.work, "rev-parse", "HEAD")

    def promote(self, *args: str) -> subprocess.CompletedProcess:
        """promotable.sh in a fresh clone of origin with every branch, as promote.yml's checkout."""
        runner = self.root / "runner"
        shutil.rmtree(runner, ignore_errors=True)
        subprocess.run(["git", "clone", "--quiet", "--no-local", str(self.origin), str(runner)], check=True,
                       capture_output=True)
        bin_dir = self.root / "bin"
        bin_dir.mkdir(exist_ok=True)
        (bin_dir / "gh").write_text(FAKE_GH)
        (bin_dir / "gh").chmod(0o755)
        (self.root / "runs.json").write_text(json.dumps(self.runs))
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "GH_REPO": REPOSITORY,
               "FAKE_GH_RUNS": str(self.root / "runs.json"), "FAKE_GH_ORIGIN": str(self.origin),
               "FAKE_GH_LOG": str(self.root / "gh.log")}
        return subprocess.run(["bash", str(SCRIPT), *args], cwd=runner, env=env, capture_output=True, text=True)


def outputs(result: subprocess.CompletedProcess) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


@pytest.fixture
def repository(tmp_path) -> Repository:
    return Repository(tmp_path)


def test_a_squash_merged_feature_branch_is_promotable_to_ppd(repository):
    applied = repository.feature_applied_in_dev("x")
    main = repository.squash_merge("feature/x")
    assert main != applied

    promoted = outputs(repository.promote("ppd", "1.4.0"))

    assert promoted == {"sha": main, "ref": "refs/heads/release/1.4.0", "deploy_ref": "release/1.4.0",
                        "applied_as": applied}


def test_the_applied_commit_of_a_deleted_branch_is_read_from_github(repository):
    applied = repository.feature_applied_in_dev("x")
    repository.squash_merge("feature/x")
    git(repository.work, "push", "--quiet", "origin", "--delete", "feature/x")

    assert outputs(repository.promote("ppd", "1.4.0"))["applied_as"] == applied
    assert f"repos/{REPOSITORY}/git/commits/{applied}" in (repository.root / "gh.log").read_text()


def test_a_merge_commit_is_promotable_too(repository):
    applied = repository.feature_applied_in_dev("x")
    git(repository.work, "merge", "--quiet", "--no-ff", "-m", "Merge feature/x", "feature/x")
    git(repository.work, "push", "--quiet", "origin", "main")

    assert outputs(repository.promote("ppd", "1.4.0"))["applied_as"] == applied


def test_a_tree_dev_never_applied_is_refused(repository):
    repository.feature_applied_in_dev("x")
    repository.squash_merge("feature/x")
    repository.commit("terraform/late.tf", "late\n", "a change straight on main")
    git(repository.work, "push", "--quiet", "origin", "main")

    result = repository.promote("ppd", "1.4.0")

    assert result.returncode == 1
    assert "was never applied in dev" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("run", [
    {"event": "pull_request", "conclusion": "success", "branch": "feature/x"},  # a plan, not an apply
    {"event": "push", "conclusion": "failure", "branch": "feature/x"},
    {"event": "push", "conclusion": "success", "branch": "release/0.9.0"},  # applied in ppd, not dev
])
def test_only_a_successful_apply_in_dev_counts(repository, run):
    applied = repository.feature_applied_in_dev("x")
    repository.runs.clear()
    repository.applied(applied, run["branch"], event=run["event"], conclusion=run["conclusion"])
    repository.squash_merge("feature/x")

    assert repository.promote("ppd", "1.4.0").returncode == 1


def test_a_named_commit_is_promoted_instead_of_mains_head(repository):
    applied = repository.feature_applied_in_dev("x")
    squashed = repository.squash_merge("feature/x")
    repository.commit("terraform/late.tf", "late\n", "not applied yet")
    git(repository.work, "push", "--quiet", "origin", "main")

    promoted = outputs(repository.promote("ppd", "1.4.0", squashed[:12]))

    assert (promoted["sha"], promoted["applied_as"]) == (squashed, applied)


def test_prod_promotes_the_release_head_ppd_applied(repository):
    repository.feature_applied_in_dev("x")
    release = repository.squash_merge("feature/x")
    git(repository.work, "push", "--quiet", "origin", f"{release}:refs/heads/release/1.4.0")
    repository.applied(release, "release/1.4.0", event="workflow_dispatch")

    promoted = outputs(repository.promote("prod", "1.4.0"))

    assert promoted == {"sha": release, "ref": "refs/tags/v1.4.0", "deploy_ref": "v1.4.0", "applied_as": release}


def test_prod_refuses_a_release_head_ppd_has_not_applied(repository):
    repository.feature_applied_in_dev("x")
    release = repository.squash_merge("feature/x")
    repository.applied(release, "release/1.4.0", event="workflow_dispatch")
    git(repository.work, "checkout", "--quiet", "-b", "release/1.4.0", release)
    repository.commit("terraform/hotfix.tf", "fix\n", "a fix on the release branch, not applied yet")
    git(repository.work, "push", "--quiet", "origin", "release/1.4.0")

    result = repository.promote("prod", "1.4.0")

    assert result.returncode == 1 and "was never applied in ppd" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("ppd", "1.4"), "version must look like 1.4.0"),
    (("prod", "1.4.0", "abc123"), "leave 'commit' empty"),
    (("qa", "1.4.0"), "target must be ppd or prod"),
    (("prod", "2.0.0"), "no commit 'refs/remotes/origin/release/2.0.0'"),
])
def test_bad_requests_are_refused_with_their_reason(repository, args, message):
    result = repository.promote(*args)
    assert result.returncode == 1 and message in result.stderr
