#!/usr/bin/env bash
# Whether a commit may be promoted, and where to: prints, as GitHub step outputs, the commit to
# promote (sha), the ref to create (ref) and the ref the terraform workflow then runs on
# (deploy_ref); exits 1 with an ::error:: (on stderr) when the commit was not applied one step before.
#   promotable.sh ppd VERSION [COMMIT]   release/VERSION from COMMIT (default: origin/main)
#   promotable.sh prod VERSION           tag vVERSION on the head of origin/release/VERSION
# What was applied is compared by tree, not by commit: a squash or merge commit on main has the
# tree of the feature branch head that dev applied, but not its id. A commit counts as applied in
# an environment when a run of the terraform workflow that applies it (a push or a dispatch, not a
# pull request's plan) succeeded on one of its branches: feature/* for dev, release/* for ppd.
# Runs in a clone with the remote's branches (actions/checkout with fetch-depth 0); commits the
# clone lacks (a deleted feature branch) are read from GitHub (GH_REPO, GH_TOKEN, the gh CLI).
set -euo pipefail
target=${1:?usage: promotable.sh ppd|prod VERSION [COMMIT]}
version=${2:?usage: promotable.sh ppd|prod VERSION [COMMIT]}
commit=${3:-}
# How many successful runs are searched for the tree, newest first.
runs_searched=${PROMOTABLE_RUNS:-200}

# On stderr: stdout is the step's outputs.
fail() {
  echo "::error::$*" >&2
  exit 1
}

if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  fail "version must look like 1.4.0, not '$version'"
fi

case "$target" in
  ppd)
    candidate=${commit:-refs/remotes/origin/main}
    applied_branches='^feature/'
    source_environment=dev
    ref="refs/heads/release/${version}"
    deploy_ref="release/${version}"
    ;;
  prod)
    [ -z "$commit" ] || fail "prod promotes the head of release/${version}; leave 'commit' empty"
    candidate="refs/remotes/origin/release/${version}"
    applied_branches='^release/'
    source_environment=ppd
    ref="refs/tags/v${version}"
    deploy_ref="v${version}"
    ;;
  *) fail "target must be ppd or prod, not '$target'" ;;
esac

sha=$(git rev-parse --verify --quiet "${candidate}^{commit}") || fail "no commit '${candidate}' in this clone"
tree=$(git rev-parse "${sha}^{tree}")

tree_of() {
  git rev-parse --verify --quiet "$1^{tree}" 2>/dev/null ||
    gh api "repos/${GH_REPO}/git/commits/$1" --jq .tree.sha 2>/dev/null ||
    true
}

applied=$(gh run list --workflow terraform.yml --status success --limit "$runs_searched" \
  --json headSha,headBranch,event,conclusion \
  --jq ".[] | select(.conclusion == \"success\" and .event != \"pull_request\") | select(.headBranch | test(\"${applied_branches}\")) | .headSha")
match=""
for applied_sha in $(printf '%s\n' "$applied" | awk 'NF && !seen[$0]++'); do
  if [ "$(tree_of "$applied_sha")" = "$tree" ]; then
    match=$applied_sha
    break
  fi
done
[ -n "$match" ] || fail "${sha} (tree ${tree}) was never applied in ${source_environment}: no successful terraform run on a ${applied_branches#^}* branch has its tree"

echo "sha=${sha}"
echo "ref=${ref}"
echo "deploy_ref=${deploy_ref}"
echo "applied_as=${match}"
