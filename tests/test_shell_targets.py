"""The files shell commands write, delete and read (gitcoord/guard/shell.py), by example.

Each case runs in a fresh working directory holding a.py, b.py, notes.txt, d/x, an empty sub/
and .git/ (the top of a working tree); its expected paths are relative to that directory
("~/..." to the home given). The undetermined descriptions are exact: they are what an agent is
told. A command not known here reads each file its arguments name on disk.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitcoord.guard.shell import ShellTargets, shell_targets


class Case(NamedTuple):
    command: str
    writes: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    undetermined: tuple[str, ...] = ()
    unparsed: bool = False


PY3 = ("a.py", "b.py", "notes.txt")
PATCH = "*** Begin Patch\n*** Update File: a.py\n@@\n-x\n+y\n*** End Patch"
CASES = [
    # redirections
    Case("echo hi > out", writes=("out",)),
    Case("echo hi >> log", writes=("log",)),
    Case("echo hi >| out", writes=("out",)),
    Case("make &> build.log", writes=("build.log",)),
    Case("make &>> build.log", writes=("build.log",)),
    Case("make 2> err.txt", writes=("err.txt",)),
    Case("echo hi >&out", writes=("out",)),  # bash reads >&WORD as &>WORD
    Case("make 2>&1 >&2 2>/dev/null", ()),
    Case("echo x > /dev/stderr; cat < /dev/null", ()),
    Case("cat < notes.txt > copy.txt", writes=("copy.txt",), reads=("notes.txt",)),
    Case("exec > run.log 2>&1", writes=("run.log",)),
    Case("> empty", writes=("empty",)),
    Case("echo > f hi", writes=("f",)),  # `hi` is echo's argument, not a second file
    Case("cat > out notes.txt", writes=("out",), reads=("notes.txt",)),
    Case("a && b > f c", writes=("f",)),
    Case("if true; then echo a; fi > log", writes=("log",)),
    Case("{ echo a; echo b; } >> log", writes=("log",)),
    Case("echo ~ > ~/out", writes=("~/out",)),
    Case("echo hi > 'two words'.txt", writes=("two words.txt",)),
    Case('echo hi > "$OUT"', undetermined=('write "$OUT"',)),
    Case("cmd > $(date).log", undetermined=("write $(date).log",)),
    Case("echo > {a,b}.txt", undetermined=("write {a,b}.txt",)),
    # here-documents and here-strings
    Case("cat <<EOF > gen.py\nprint('a > b')\nEOF", writes=("gen.py",)),
    Case("cat > gen.py <<'EOF'\nx\nEOF", writes=("gen.py",)),
    Case("cat <<-EOF >> f\n\tx\n\tEOF\necho done", writes=("f",)),
    Case("tee out <<< 'text'", writes=("out",)),
    Case("cat <<EOF > out\n$(touch made)\nEOF", writes=("made", "out")),
    # tee, sed -i, perl -i
    Case("echo x | tee a.txt b.txt", writes=("a.txt", "b.txt")),
    Case("echo x | tee -a log", writes=("log",)),
    Case("sed -i 's/a/b/' a.py", writes=("a.py",)),
    Case("sed -i '' -e 's/a/b/' a.py", writes=("a.py",)),  # BSD
    Case(
        "sed -i.bak -e s/a/b/ -e s/c/d/ a.py b.py", writes=("a.py", "a.py.bak", "b.py", "b.py.bak")
    ),
    Case("sed --in-place -f fix.sed a.py", writes=("a.py",), reads=("fix.sed",)),
    Case("sed -n 's/a/b/p' a.py", reads=("a.py",)),
    Case("perl -pi -e 's/a/b/' a.py", writes=("a.py",)),
    Case("perl -i.orig -pe 's/a/b/' a.py", writes=("a.py", "a.py.orig")),
    Case("perl -ne 'print if /x/' notes.txt", reads=("notes.txt",)),
    # cp, mv, rm, touch, truncate, dd, install, ln
    Case("cp a.py c.py", writes=("c.py",), reads=("a.py",)),
    Case("cp a.py b.py d", writes=("d/a.py", "d/b.py"), reads=("a.py", "b.py")),
    Case("cp -r sub d/", writes=("d/sub",), reads=("sub",)),
    Case("cp -t d a.py", writes=("d/a.py",), reads=("a.py",)),
    Case("mv a.py c.py", writes=("a.py", "c.py"), deletes=("a.py",)),
    Case("mv a.py sub", writes=("a.py", "sub/a.py"), deletes=("a.py",)),
    Case("rm -f a.py notes.txt", writes=("a.py", "notes.txt"), deletes=("a.py", "notes.txt")),
    Case("rm -rf d", writes=("d",), deletes=("d",)),
    Case("rm *.py", writes=("a.py", "b.py"), deletes=("a.py", "b.py")),
    Case("rm '*.py'", writes=("*.py",), deletes=("*.py",)),  # quoted: no glob
    Case("rm *.none", writes=("*.none",), deletes=("*.none",)),  # no match: the word itself
    Case(
        "rm ?.py [n]otes.txt",
        writes=("a.py", "b.py", "notes.txt"),
        deletes=("a.py", "b.py", "notes.txt"),
    ),
    Case("touch new.txt", writes=("new.txt",)),
    Case("touch -d yesterday -r a.py new.txt", writes=("new.txt",)),
    Case("truncate -s 0 notes.txt", writes=("notes.txt",)),
    Case("dd if=a.py of=/tmp/copy bs=1M", writes=("/tmp/copy",), reads=("a.py",)),
    Case("install -m 755 a.py /usr/local/bin/", writes=("/usr/local/bin/a.py",), reads=("a.py",)),
    Case("install -d build", ()),
    Case("ln -s ../a.py link.py", writes=("link.py",)),
    Case("ln -sf /etc/hosts", writes=("hosts",)),
    Case("mkdir -p out && chmod +x a.py", ()),
    # git
    Case("git checkout -- a.py", writes=("a.py",)),
    Case("git checkout HEAD~1 -- a.py b.py", writes=("a.py", "b.py")),
    Case("git checkout a.py", writes=("a.py",)),  # names a file on disk: a path
    Case("git checkout HEAD a.py", writes=("a.py",)),
    Case("git checkout main", undetermined=("git checkout main: switches branches",)),
    Case("git checkout -b topic", ()),
    Case("git restore a.py", writes=("a.py",)),
    Case("git restore --staged a.py", writes=("a.py",)),
    Case("git restore -s HEAD~2 --worktree d", writes=("d",)),
    Case("git rm --cached a.py", writes=("a.py",), deletes=("a.py",)),
    Case("git rm -r d", writes=("d",), deletes=("d",)),
    Case("git mv a.py c.py", writes=("a.py", "c.py"), deletes=("a.py",)),
    Case("git -C sub checkout -- x", writes=("sub/x",)),
    Case("git -c core.pager=cat rm a.py", writes=("a.py",), deletes=("a.py",)),
    Case("git stash", undetermined=("git stash: changes files it does not name",)),
    Case("git reset --hard HEAD", undetermined=("git reset: changes files it does not name",)),
    Case("git stash list && git status && git diff && git log --oneline", ()),
    # git: what it shows
    Case("git show :a.py; git show HEAD:./b.py", reads=("a.py", "b.py")),
    Case("cd sub && git show HEAD:a.py main:./x", reads=("a.py", "sub/x")),  # from the top
    Case("git show :/fix; git show HEAD:", ()),  # a commit by message; a tree's listing
    Case("git cat-file -p HEAD~1:d/x", reads=("d/x",)),
    Case(
        "git diff HEAD -- notes.txt; git log -p a.py; git blame b.py",
        reads=("notes.txt", "a.py", "b.py"),
    ),
    Case("git archive -o out.zip HEAD d", writes=("out.zip",), reads=("d",)),
    Case("git grep -n KEY -- d a.py", reads=("d", "a.py")),
    Case("git grep KEY HEAD a.py", reads=("a.py",)),  # HEAD: a revision
    Case("git grep -e KEY; git grep -f pats.txt", reads=(".", "pats.txt")),
    Case("git -C sub grep KEY", reads=("sub",)),
    # codex apply_patch
    Case(
        "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: new.py\n+z\n*** Delete File: b.py\n"
        "*** Update File: notes.txt\n*** Move to: d/notes.txt\n*** End Patch\nEOF",
        writes=("new.py", "notes.txt", "b.py", "d/notes.txt"),
        deletes=("b.py", "notes.txt"),
    ),
    Case(f"cd sub && apply_patch '{PATCH}'", writes=("sub/a.py",)),
    Case(f"bash -lc \"apply_patch <<'EOF'\n{PATCH}\nEOF\n\"", writes=("a.py",)),  # Codex's
    Case(f"apply_patch \"$(cat <<'EOF'\n{PATCH}\nEOF\n)\"", writes=("a.py",)),
    Case(f"applypatch <<< '{PATCH}'", writes=("a.py",)),
    Case(
        "apply_patch <<EOF\n*** Begin Patch\n*** Add File: $X\n*** Update File: a.py\n"
        "*** Delete File: \\$b\n*** End Patch\nEOF",
        writes=("a.py",),
        undetermined=("write $X", "write \\$b", "delete \\$b"),  # read as written
    ),
    Case(
        "apply_patch < p.diff",
        reads=("p.diff",),
        undetermined=("apply_patch: the patch on its standard input",),
    ),
    Case(
        "apply_patch 'no patch'",
        undetermined=("apply_patch 'no patch': the patch has no '*** Begin Patch' line",),
    ),
    # reads
    Case("cat a.py b.py", reads=("a.py", "b.py")),
    Case("less +G notes.txt", reads=("notes.txt",)),
    Case("head -n 5 a.py; tail -f notes.txt", reads=("a.py", "notes.txt")),
    Case("grep -n TODO a.py", reads=("a.py",)),
    Case("grep -e TODO -e FIXME a.py b.py", reads=("a.py", "b.py")),
    Case("grep -rn secret", reads=(".",)),  # the whole working directory
    Case("rg -t py foo src", reads=("src",)),
    Case("awk -F: '{print $1}' /etc/passwd", reads=("/etc/passwd",)),
    Case("awk -v n=1 'NR==n' notes.txt x=2", reads=("notes.txt",)),
    Case("awk '$2 > 5 || /x/ { print $1 }' notes.txt", reads=("notes.txt",)),  # no output
    Case("source ~/.bashrc && . ./env.sh", reads=("~/.bashrc", "env.sh")),
    Case("diff a.py b.py; wc -l a.py; sort -u notes.txt", reads=("a.py", "b.py", "notes.txt")),
    Case("sort -o sorted.txt notes.txt", writes=("sorted.txt",), reads=("notes.txt",)),
    Case(
        "base64 -d key.b64; xxd a.py; od -c b.py; strings bin",
        reads=("key.b64", "a.py", "b.py", "bin"),
    ),
    Case("xxd -r dump.hex out.bin", writes=("out.bin",), reads=("dump.hex",)),
    Case("jq -r '.name' package.json", reads=("package.json",)),
    Case("jq --arg k v -f q.jq data.json", reads=("q.jq", "data.json")),
    Case("cat .env | grep KEY", reads=(".env",)),
    Case("nl -ba a.py; cut -d: -f1 notes.txt; rev b.py", reads=("a.py", "notes.txt", "b.py")),
    Case("paste -d, a.py b.py | fold -w 80; tac -s x notes.txt", reads=PY3),
    # compressors, archives, openssl
    Case(
        "gzip -c a.py > a.gz; zcat b.gz; bzip2 -dc notes.txt; xz -c d/x",
        writes=("a.gz",),
        reads=("a.py", "b.gz", "notes.txt", "d/x"),
    ),
    Case("gzip a.py", writes=("a.py.gz", "a.py"), deletes=("a.py",), reads=("a.py",)),
    Case("gunzip -k d/x.gz; bzip2 -t b.py", writes=("d/x",), reads=("d/x.gz", "b.py")),
    Case(
        "openssl enc -d -aes256 -in notes.txt -out plain.txt -pass file:a.py",
        writes=("plain.txt",),
        reads=("notes.txt", "a.py"),
    ),
    Case("openssl base64 -in a.py; openssl dgst -sha256 b.py", reads=("a.py", "b.py")),
    Case("tar czf out.tgz a.py d", writes=("out.tgz",), reads=("a.py", "d")),
    Case("tar -c -f - -C d x | cat", reads=("d/x",)),
    Case(
        "tar --create --file=o.tar --directory=sub . -C .. notes.txt",
        writes=("o.tar",),
        reads=("sub", "notes.txt"),
    ),
    Case("tar xzf in.tgz", reads=("in.tgz",), undetermined=("tar x: the files in the archive",)),
    Case("tar -xf in.tar -C sub; tar xf in.tar a.py", writes=("sub", "a.py"), reads=("in.tar",)),
    Case("tar tf in.tar; tar -xOf in.tar a.py", reads=("in.tar",)),
    Case("zip -r out d a.py", writes=("out.zip",), reads=("d", "a.py")),
    Case("zip -qr out.zip . -x '*.git*' b.py", writes=("out.zip",), reads=(".",)),
    Case("zip -m o.zip a.py", writes=("o.zip", "a.py"), deletes=("a.py",), reads=("a.py",)),
    Case("unzip -o in.zip -d sub; unzip -l in.zip", writes=("sub",), reads=("in.zip",)),
    Case("unzip in.zip", reads=("in.zip",), undetermined=("unzip: the files in the archive",)),
    # scripts, editors, and programs not known here
    Case("bash a.py x notes.txt", reads=("a.py", "notes.txt")),
    Case("sh -c 'cat \"$1\"' _ notes.txt", reads=("notes.txt",), undetermined=('read "$1"',)),
    Case("bash <<'EOF'\nrm a.py\nEOF", writes=("a.py",), deletes=("a.py",)),
    Case("echo 'rm a.py' | bash -s x", undetermined=("sh: the code on its standard input",)),
    Case("python a.py; node b.py --env-file=notes.txt", reads=PY3),
    Case("python -c 'import sys' notes.txt; ./a.py d/x", reads=("notes.txt", "a.py", "d/x")),
    Case("foo key=notes.txt --in=a.py -o out", reads=("notes.txt", "a.py")),
    Case("make -C sub test", reads=("sub",)),
    Case("vim a.py; nano +10 b.py", writes=("a.py", "b.py"), reads=("a.py", "b.py")),
    Case("view notes.txt; vim -R a.py", reads=("notes.txt", "a.py")),
    Case("emacs -l init.el notes.txt", writes=("notes.txt",), reads=("init.el", "notes.txt")),
    Case("ed -p '*' a.py", writes=("a.py",), reads=("a.py",)),
    Case("code -g a.py:12:3 .", writes=("a.py",), reads=("a.py", ".")),
    Case("ls -la d; echo a.py; stat notes.txt; mkdir -p d; test -f a.py", ()),
    # lists, pipes, subshells, cd
    Case("cd sub && touch x", writes=("sub/x",)),
    Case("cd sub; rm ../a.py", writes=("a.py",), deletes=("a.py",)),
    Case("(cd sub && touch x); touch y", writes=("sub/x", "y")),
    Case("cd sub | true; touch y", writes=("y",)),  # a pipeline's stages are subshells
    Case("cd sub & touch y", writes=("y",)),
    Case("cd d || exit 1; rm x", writes=("d/x",), deletes=("d/x",)),
    Case("cd; touch x", writes=("~/x",)),
    Case("cd ~/proj && touch x", writes=("~/proj/x",)),
    Case("cd $DIR && rm x", undetermined=("delete x (in an undetermined directory)",)),
    Case("cd $DIR && rm /tmp/abs", writes=("/tmp/abs",), deletes=("/tmp/abs",)),
    Case("cd - && rm x", undetermined=("delete x (in an undetermined directory)",)),
    Case("if cd sub; then touch x; fi; touch y", writes=("sub/x", "sub/y")),
    Case("for f in *.py; do cp $f d; done", undetermined=("read $f", "write d/$f")),
    Case("while read l; do echo $l; done < notes.txt > out", writes=("out",), reads=("notes.txt",)),
    Case("f() { rm a.py; }; true", writes=("a.py",), deletes=("a.py",)),
    Case("echo $(rm a.py) `touch b`", writes=("a.py", "b"), deletes=("a.py",)),
    Case("X=$(cat notes.txt) make", reads=("notes.txt",)),
    Case("diff <(sort a.py) <(sort b.py)", reads=("a.py", "b.py")),
    Case("! rm a.py", writes=("a.py",), deletes=("a.py",)),
    # wrappers and shell code in strings
    Case("sudo tee /etc/hosts < hosts", writes=("/etc/hosts",), reads=("hosts",)),
    Case("sudo -u root -D /srv rm x", writes=("/srv/x",), deletes=("/srv/x",)),
    Case("env FOO=1 BAR=2 touch x", writes=("x",)),
    Case("env -C sub touch x", writes=("sub/x",)),
    Case("time nice -n 5 nohup timeout 10 touch x", writes=("x",)),
    Case("command touch x; exec touch y", writes=("x", "y")),
    Case("command -v rm", ()),
    Case("bash -c 'cd sub && rm x'", writes=("sub/x",), deletes=("sub/x",)),
    Case('sh -euc "echo hi > out"', writes=("out",)),
    Case('bash -c "$CMD"', undetermined=('sh -c "$CMD"',)),
    Case("eval 'cd sub'; touch x", writes=("sub/x",)),
    Case("xargs rm < list.txt", reads=("list.txt",), undetermined=("delete (xargs input)",)),
    Case("xargs -I{} cp {} d/", undetermined=("read {}", "write d/{}")),
    Case("echo a.py | xargs -0 cat", undetermined=("read (xargs input)",)),
    Case("find . -name '*.pyc' -delete", undetermined=("find -delete: the files it finds",)),
    Case("find . -type f -exec rm {} \\;", undetermined=("delete {}",)),
    Case("$EDITOR a.py", reads=("a.py",), undetermined=("command $EDITOR",)),
    # unquoting
    Case("touch \"a b\" 'c d' e\\ f", writes=("a b", "c d", "e f")),
    Case("touch \"x\"'y'z", writes=("xyz",)),
    Case('touch "a\n b"; bash -c "true\nrm b.py"', writes=("a\n b", "b.py"), deletes=("b.py",)),
    Case("touch $'tab\\tname'", writes=("tab\tname",)),
    Case("touch ~root/x", undetermined=("write ~root/x",)),
    Case("touch a\\*", writes=("a*",)),
    # only look like writes
    Case("grep '>' notes.txt", reads=("notes.txt",)),
    Case('echo "a > b"', ()),
    Case("echo a\\>b", ()),
    Case("cat <<'EOF'\n> x\nEOF", ()),
    Case("printf '%s>%s' a b", ()),
    Case("test a \\> b", ()),
    Case("[[ a > b ]]", ()),
    Case("echo $((1 > 2))", ()),
    Case("git commit -m 'x > y'", ()),
    Case(  # tree-sitter-bash cannot parse it: refused
        "[ a \\> b ]", undetermined=("could not parse: [ a \\> b ]",), unparsed=True
    ),
    Case('python -c \'open("x", "w")\'', ()),  # programs are not looked into
    Case(
        "awk '{print > \"x\"}' notes.txt",
        reads=("notes.txt",),
        undetermined=("awk output: '{print > \"x\"}'",),
    ),
    Case(
        'awk \'{ if ($1 > 2) printf "%s", $1 | "sort" }\' f',
        reads=("f",),
        undetermined=('awk output: \'{ if ($1 > 2) printf "%s", $1 | "sort" }\'',),
    ),
    # malformed
    Case('echo "unterminated', undetermined=('could not parse: "unterminated',), unparsed=True),
    Case(
        'rm a.py; echo "oops',
        writes=("a.py",),
        deletes=("a.py",),
        undetermined=('could not parse: "oops',),
        unparsed=True,
    ),
    Case(  # bash writes a.py all the same
        "cat <<EOF > a.py\nmalicious",
        undetermined=("could not parse: <<EOF > a.py malicious",),
        unparsed=True,
    ),
    Case(
        "(echo x > a.py",
        writes=("a.py",),
        undetermined=("could not parse: (echo x > a.py",),
        unparsed=True,
    ),
    Case(
        "bash -c 'echo \"x' > out",
        writes=("out",),
        undetermined=('could not parse: "x',),
        unparsed=True,
    ),
]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "w"
    (work / "d").mkdir(parents=True)
    (work / "sub").mkdir()
    (work / ".git").mkdir()
    for name in ("a.py", "b.py", "notes.txt", "d/x"):
        (work / name).write_text("x\n")
    return work


def _absolute(path: str, work: Path, home: Path) -> str:
    if path.startswith("~/"):
        return str(home / path[2:])
    return os.path.normpath(os.path.join(work, path))


@pytest.mark.parametrize("case", CASES, ids=[case.command for case in CASES])
def test_targets(case: Case, workdir: Path) -> None:
    home = workdir.parent / "home"
    found = shell_targets(case.command, str(workdir), str(home))
    expected = ShellTargets(
        tuple(_absolute(p, workdir, home) for p in case.writes),
        tuple(_absolute(p, workdir, home) for p in case.deletes),
        tuple(_absolute(p, workdir, home) for p in case.reads),
        case.undetermined,
        case.unparsed,
    )
    assert found == expected


def test_the_corpus_is_large_and_distinct() -> None:
    assert len({case.command for case in CASES}) == len(CASES) >= 70


def test_a_glob_in_an_undetermined_directory_is_undetermined(workdir: Path) -> None:
    found = shell_targets("cd $X; rm *.py", str(workdir), "/h")
    assert found == ShellTargets((), (), (), ("delete *.py",))


@pytest.mark.parametrize("depth", [500, 3000])
def test_nesting_too_deep_to_follow_is_unparsed(workdir: Path, depth: int) -> None:
    found = shell_targets("( " * depth + "echo x > a.py" + " )" * depth, str(workdir), "/h")
    assert found == ShellTargets(
        (), (), (), ("the command is nested too deeply to follow",), unparsed=True
    )


def test_shell_code_nested_too_deeply_is_unparsed(workdir: Path) -> None:
    command = "rm a.py"
    for _ in range(10):
        command = f"bash -c {shlex.quote(command)}"
    found = shell_targets(command, str(workdir), "/h")
    assert found.unparsed and found.undetermined[0].startswith("nested shell code: ")
    assert found.writes == ()


# Pieces of shell syntax, so that generated text reaches more of the grammar than random text.
SHELL_BITS = [
    *("a", "b", ">", ">>", "<", "|", "||", "&&", ";", "&", "(", ")", "{", "}", "$", "`", "'"),
    *('"', "\\", "*", "?", "[", "]", "~", "=", "#", "\n", "$(", "${", "<<", "<<<", "<(", "2>&1"),
    *("cd", "rm", "sed", "-i", "git", "checkout", "--", "bash", "-c", "xargs", "EOF", "if"),
    *("then", "fi", "for", "do", "done", "case", "esac", "$'\\x", "~user", "{a,b}"),
]


@settings(max_examples=300, deadline=None)
@given(
    st.text()
    | st.lists(st.sampled_from(SHELL_BITS), max_size=30).map("".join)
    | st.lists(st.sampled_from(SHELL_BITS), max_size=30).map(" ".join)
)
def test_any_text_gives_targets_not_a_traceback(text: str) -> None:
    found = shell_targets(text, "/nonexistent/work", "/nonexistent/home")
    assert isinstance(found, ShellTargets)
    paths = found.writes + found.reads
    assert all(os.path.isabs(p) and os.path.normpath(p) == p for p in paths)
    assert set(found.deletes) <= set(found.writes)
