#!/usr/bin/env python3
"""Checks the examples of a Markdown page (docs/language.md) against the real `ferry`.

    doc_examples_test.py --ferry PATH --root SOURCE_DIR [--keep] PAGE.md

The page promises that every example was checked with `ferry check` and that the outputs shown
are what it prints; this test keeps that true. Walking the page top to bottom, as a reader
would, in one temporary directory:

- `<!-- file: NAME -->` before a code block: the block is written to NAME (subdirectories are
  made), replacing what an earlier block of that name wrote;
- `<!-- fragment: plan -->` / `<!-- fragment: phase -->`: the block must compile (`ferry check`
  exits 0) once wrapped in a minimal plan, or in a phase of a minimal plan that declares the
  names such snippets use (see FRAGMENT_WRAPPERS);
- a ```console block: each `$ COMMAND` line runs with bash in that directory, with `ferry` on
  PATH, and what it prints (stdout and stderr, in order) must equal the lines below it, up to
  the next `$ ` line, exactly. Exit statuses are not compared; the output says what happened.

Every ```ferry and ```toml block must carry a `file:` or `fragment:` marker: an example nobody
checks is how a page starts to lie.

Commands see a fixed environment: HOME=/home/jdoe and USER=jdoe (the page's example user), no
FERRY_PATH, no AWS_REGION. In outputs, the temporary directory (followed by '/') is removed,
the source tree SOURCE_DIR is shown as /home/jdoe/ferry, a checkout path no machine needs to have, and
the installed stdlib (--installed-stdlib) as /usr/local/share/ferry/stdlib, its default place.
"""
import argparse
import difflib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^<!--\s*(file|fragment):\s*(\S+)\s*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
DOC_ROOT = "/home/jdoe/ferry"
DOC_INSTALLED_STDLIB = "/usr/local/share/ferry/stdlib"

# Names the phase fragments of docs/language.md use; a fragment that needs more should be a file.
FRAGMENT_WRAPPERS = {
    "plan": 'plan "fragment" {{\n{body}}}\n',
    "phase": """plan "fragment" {{
  param hc_name : string = "jdoe-hosted"
  param hc_namespace : string = "clusters"
  param bucket : string = "jdoe-etcd-backups"

  cluster source {{
    kubeconfig = "/home/jdoe/.kube/mgmt"
  }}

  let cp_ns = "${{hc_namespace}}-${{hc_name}}"
  let etcd_pods = ["etcd-0", "etcd-1", "etcd-2"]

  phase main {{
{body}  }}
}}
""",
}


class Block:
    def __init__(self, line, lang, lines, marker):
        self.line = line        # 1-based line of the opening fence
        self.lang = lang
        self.lines = lines      # the content, without the fences
        self.marker = marker    # ("file", NAME), ("fragment", KIND) or None


def read_blocks(path):
    """The fenced blocks of a Markdown file, with the marker comment just before each."""
    blocks, errors = [], []
    text = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    i, pending = 0, None
    while i < len(text):
        line = text[i]
        marker = MARKER.match(line)
        if marker:
            if pending:
                errors.append(f"{path}:{pending[2]}: marker '{line.strip()}' is not followed by a code block")
            pending = (marker.group(1), marker.group(2), i + 1)
            i += 1
            continue
        fence = FENCE.match(line)
        if fence:
            start = i
            i += 1
            body = []
            while i < len(text) and not FENCE.match(text[i]):
                body.append(text[i])
                i += 1
            if i == len(text):
                errors.append(f"{path}:{start + 1}: code block is never closed")
            blocks.append(Block(start + 1, fence.group(1), body, pending[:2] if pending else None))
            pending = None
        elif line.strip() and pending:
            errors.append(f"{path}:{pending[2]}: marker is followed by text, not a code block")
            pending = None
        i += 1
    return blocks, errors


def console_commands(block):
    """(line, command, expected output lines) for each `$ ` line of a console block."""
    commands = []
    for n, line in enumerate(block.lines):
        if line.startswith("$ "):
            commands.append([block.line + 1 + n, line[2:], []])
        elif commands:
            commands[-1][2].append(line)
        elif line.strip():
            raise ValueError(f"line {block.line + 1 + n}: console output before any '$ ' command")
    return commands


class Runner:
    def __init__(self, ferry, root, installed_stdlib, workdir, page):
        self.root = str(pathlib.Path(root).resolve())
        self.installed_stdlib = installed_stdlib
        self.workdir = workdir
        self.page = page
        bindir = os.path.join(workdir, ".bin")
        os.makedirs(bindir)
        os.symlink(str(pathlib.Path(ferry).resolve()), os.path.join(bindir, "ferry"))
        self.env = {
            "PATH": bindir + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
            "HOME": "/home/jdoe",
            "USER": "jdoe",
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
        }
        self.failures = []
        self.counts = {"files": 0, "commands": 0, "fragments": 0}

    def fail(self, line, message):
        self.failures.append(f"{self.page}:{line}: {message}")

    def normalize(self, text):
        text = text.replace(self.workdir + "/", "")
        if self.installed_stdlib and self.installed_stdlib != DOC_INSTALLED_STDLIB:
            text = text.replace(self.installed_stdlib, DOC_INSTALLED_STDLIB)
        if self.root != DOC_ROOT:
            text = text.replace(self.root, DOC_ROOT)
        return text

    def run(self, command):
        result = subprocess.run(["bash", "-c", command], cwd=self.workdir, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return result.returncode, self.normalize(result.stdout.decode("utf-8", "replace"))

    def write_file(self, block, name):
        path = pathlib.Path(self.workdir, name)
        if path.is_absolute() and not str(path.resolve()).startswith(self.workdir):
            self.fail(block.line, f"file '{name}' is outside the example directory")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(block.lines) + "\n", encoding="utf-8")
        self.counts["files"] += 1

    def check_fragment(self, block, kind):
        wrapper = FRAGMENT_WRAPPERS.get(kind)
        if wrapper is None:
            self.fail(block.line, f"unknown fragment kind '{kind}' (plan or phase)")
            return
        indent = "  " if kind == "plan" else "    "
        body = "".join(indent + line + "\n" if line.strip() else "\n" for line in block.lines)
        name = f".fragment-{block.line}.ferry"
        pathlib.Path(self.workdir, name).write_text(wrapper.format(body=body), encoding="utf-8")
        self.counts["fragments"] += 1
        status, output = self.run(f"ferry check {name}")
        if status != 0:
            self.fail(block.line, f"this {kind} fragment does not compile:\n{output}")

    def check_console(self, block):
        try:
            commands = console_commands(block)
        except ValueError as e:
            self.fail(block.line, str(e))
            return
        for line, command, expected in commands:
            self.counts["commands"] += 1
            _, output = self.run(command)
            actual = output.split("\n")
            while actual and actual[-1] == "":
                actual.pop()
            while expected and expected[-1] == "":
                expected = expected[:-1]
            if actual != expected:
                diff = "\n".join(difflib.unified_diff(expected, actual, "shown in the page", "printed", lineterm=""))
                self.fail(line, f"'$ {command}' prints something else:\n{diff}")

    def check(self, blocks):
        for block in blocks:
            if block.marker and block.marker[0] == "file":
                self.write_file(block, block.marker[1])
            elif block.marker:
                self.check_fragment(block, block.marker[1])
            elif block.lang == "console":
                self.check_console(block)
            elif block.lang in ("ferry", "toml"):
                self.fail(block.line, f"this ```{block.lang} block has no '<!-- file: NAME -->' or "
                                      "'<!-- fragment: plan|phase -->' marker, so nothing checks it")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ferry", required=True, help="the ferry binary")
    parser.add_argument("--root", required=True, help="the source tree (shown as /home/jdoe/ferry)")
    parser.add_argument("--installed-stdlib", default="", help="where ferry was built to find the installed stdlib")
    parser.add_argument("--keep", action="store_true", help="keep the example directory")
    parser.add_argument("page")
    args = parser.parse_args()

    blocks, errors = read_blocks(args.page)
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="ferry-doc-"))
    try:
        runner = Runner(args.ferry, args.root, args.installed_stdlib, workdir, args.page)
        runner.failures.extend(errors)
        runner.check(blocks)
    finally:
        if args.keep:
            print(f"examples kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    for failure in runner.failures:
        print(f"FAIL {failure}\n")
    c = runner.counts
    summary = f"{c['files']} files, {c['commands']} commands, {c['fragments']} fragments"
    if runner.failures:
        print(f"{args.page}: {len(runner.failures)} example(s) wrong ({summary} checked)")
        return 1
    print(f"{args.page}: every example is right ({summary} checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
