#!/usr/bin/env bash
# Posts a Terraform plan on the pull request, or updates this environment's earlier plan comment
# (one comment per environment, found by its marker), with the gh CLI of the GitHub runner.
#   PR_NUMBER=… ENVIRONMENT=… SUMMARY=… RUN_URL=… GH_REPO=… GH_TOKEN=… post-plan.sh PLAN_FILE
set -euo pipefail
plan_file=${1:?usage: post-plan.sh PLAN_FILE}
marker="<!-- terraform-plan:${ENVIRONMENT} -->"
# A comment holds at most 65,536 characters; keep the end of long plans, where the summary is.
limit=60000

{
  echo "$marker"
  echo "### Terraform plan: \`${ENVIRONMENT}\` (${SUMMARY:-no plan})"
  echo
  echo "<details><summary>Show the plan</summary>"
  echo
  echo '```'
  if [ -f "$plan_file" ]; then
    if [ "$(wc -c <"$plan_file")" -gt "$limit" ]; then
      echo "… (beginning cut; the whole plan is in the job log)"
      tail -c "$limit" "$plan_file"
    else
      cat "$plan_file"
    fi
  else
    echo "no plan output"
  fi
  echo '```'
  echo "</details>"
  echo
  echo "[Job log](${RUN_URL})"
} >comment.md

existing=$(gh api --paginate "repos/${GH_REPO}/issues/${PR_NUMBER}/comments" \
  --jq ".[] | select(.body | startswith(\"${marker}\")) | .id" | tail -n 1)
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/${GH_REPO}/issues/comments/${existing}" -F body=@comment.md >/dev/null
else
  gh pr comment "$PR_NUMBER" --body-file comment.md
fi
