"""Ansible from the sandbox: ``site.yml`` against ``inventories/local`` and the other playbooks,
each as the principal of its AWS profile (the automation role unless told)."""

from __future__ import annotations

import subprocess

from sandbox import accounts
from sandbox.settings import AUTOMATION_PROFILE, INVENTORY, ROOT, SandboxError, Settings


def ansible_playbook(sandbox: Settings, *args: str, echo: bool = True, profile: str = AUTOMATION_PROFILE,
                     extra_env: dict[str, str] | None = None) -> str:
    """Runs ansible-playbook from the repository root with the sandbox's environment (and
    ``extra_env``), as the principal of ``profile``. The whole output goes to the Ansible log; the
    plays, failures and the recap also to the terminal. Returns the output."""
    command = ["ansible-playbook", *args]
    sandbox.state_dir.mkdir(parents=True, exist_ok=True)
    output = []
    with open(sandbox.ansible_log, "a") as log_file:
        log_file.write(f"\n# {' '.join(command)}\n")
        process = subprocess.Popen(command, cwd=ROOT, env={**accounts.environment(sandbox, profile), **(extra_env or {})},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        in_recap = False
        for line in process.stdout:
            log_file.write(line)
            log_file.flush()
            output.append(line)
            in_recap = in_recap or line.startswith("PLAY RECAP")
            if echo and line.strip() and (in_recap or line.startswith(("PLAY [", "fatal:", "failed:"))):
                print(f"    {line.rstrip()}", flush=True)
    if process.wait() != 0:
        raise SandboxError(f"ansible-playbook {' '.join(args)} failed (exit {process.returncode}); "
                           f"the whole output is in {sandbox.shown(sandbox.ansible_log)}")
    return "".join(output)


def converge(sandbox: Settings, *args: str) -> str:
    """``ansible-playbook site.yml -i inventories/local``, as a user runs it."""
    return ansible_playbook(sandbox, "site.yml", "-i", str(INVENTORY.relative_to(ROOT)), *args)
