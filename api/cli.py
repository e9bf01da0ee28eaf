"""The ``kg`` command: a thin layer over ``kg.pipeline`` (and, later, the server)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from ingest.errors import InputError
from kg.settings import Settings
from kg.store import StoreError

EPILOG_BUILD = """example:
  kg build data/ --store var/store
  kg build lectures/ --holdings catalogue.mrc extra.marcxml --vocab thesaurus.ttl --strict

SOURCE is a folder with lectures.jsonl and/or lectures.csv (or one such file);
book records in SOURCE/holdings/ and SKOS files in SOURCE/vocab/ are read too.
Settings come from KG_* environment variables (see README); options win."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kg",
        description="opencourse-kg: public-lecture metadata as linked data.",
        epilog="example:\n  kg build data/ && kg info\n\nrun 'kg COMMAND --help' for each command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    b = commands.add_parser("build", help="build the knowledge graph into a new store and swap it in",
                            epilog=EPILOG_BUILD, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("source", type=Path, help="folder with lectures.jsonl / lectures.csv")
    b.add_argument("--holdings", type=Path, nargs="+", default=[], metavar="F", help="MARC21/UNIMARC (.mrc .iso), MARCXML or CSV files")
    b.add_argument("--vocab", type=Path, nargs="+", default=[], metavar="F", help="SKOS files defining knowledge points")
    b.add_argument("--store", type=Path, help="store directory (KG_STORE, default var/store)")
    b.add_argument("--base-uri", help="base of minted URIs (KG_BASE_URI, default http://127.0.0.1:8000/)")
    b.add_argument("--workers", type=int, help="processes for per-lecture analysis (KG_WORKERS, default: cores, at most 2)")
    b.add_argument("--strict", action="store_true", help="refuse the whole build if any input has a problem")
    b.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another build (e.g. a library's publish) to finish; default: refuse at once")
    b.add_argument("--quiet", action="store_true", help="no progress display")

    s = commands.add_parser("serve", help="serve the current build: SPARQL, URIs, pages, dumps, API",
                            epilog="example:\n  kg serve --store var/store --port 8000\n  KG_QUERY_TIMEOUT=10 kg serve --workers 2\n"
                                   "  kg serve --store http://127.0.0.1:7878/query --workers 4   (a shared SPARQL store)",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--store", help="store directory (KG_STORE, default var/store), or the http(s) URL of a SPARQL "
                                   "endpoint serving a build (KG_STORE_ENDPOINT)")
    s.add_argument("--host", help="address to listen on (KG_HOST, default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (KG_PORT, default 8000)")
    s.add_argument("--workers", type=int, help="server processes (KG_SERVER_WORKERS, default 1)")
    s.add_argument("--base-uri", help="base of the URIs being served (KG_BASE_URI)")
    s.add_argument("--dumps", type=Path, help="dump directory to serve at /dumps/ (KG_DUMPS, default var/dumps)")

    d = commands.add_parser("dump", help="write the current build as downloadable files and their VoID description",
                            epilog="example:\n  kg dump --store var/store --out var/dumps\n\n"
                                   "writes DIR/releases/<id>/ and then points DIR/current at it; 'kg serve' with\n"
                                   "KG_DUMPS=DIR serves the files at /dumps/ and describes them at /.well-known/void",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--store", type=Path, help="store directory (KG_STORE, default var/store)")
    d.add_argument("--out", type=Path, help="dump directory (KG_DUMPS, default var/dumps)")
    d.add_argument("--quiet", action="store_true", help="no progress display")

    i = commands.add_parser("info", help="summarise the current build of a store",
                            epilog="example:\n  kg info --store var/store", formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("--store", type=Path, help="store directory (KG_STORE, default var/store)")
    _add_library_commands(commands)

    args = parser.parse_args(argv)
    try:
        if args.command == "library":
            return _library(args)
        if args.command == "build":
            return _build(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "dump":
            return _dump(args)
        return _info(args)
    except (InputError, StoreError) as error:
        print(f"kg: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # disk full, permissions: the store being served is untouched
        print(f"kg: error: {error.filename or ''}: {error.strerror}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    remote = args.store if args.store and args.store.startswith(("http://", "https://")) else None
    local = Path(args.store) if args.store and not remote else None
    settings = Settings.from_env(store=local, store_endpoint=remote or ("" if local else None), host=args.host,
                                 port=args.port, server_workers=args.workers, base_uri=args.base_uri, dumps=args.dumps)
    from kg.dataset import open_dataset

    # fail fast, with the usual message, when nothing is built (or the endpoint serves no build)
    open_dataset(settings.store, settings.store_endpoint, settings.base_uri, settings.query_timeout).summary()
    os.environ.update(KG_STORE=str(settings.store), KG_STORE_ENDPOINT=settings.store_endpoint,
                      KG_BASE_URI=settings.base_uri, KG_DUMPS=str(settings.dumps))  # for worker processes
    from api.traffic import http_protocol

    uvicorn.run("api.app:create_app_from_env", factory=True, host=settings.host, port=settings.port,
                workers=settings.server_workers, log_level="info", server_header=False,
                access_log=False,  # api.traffic.AccessLog writes the access log, without full client addresses
                loop="auto",  # uvloop when installed
                http=http_protocol(),  # httptools with a bound on request heads (h11 without httptools)
                limit_concurrency=512, timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024)
    return 0


def _dump(args: argparse.Namespace) -> int:
    from kg.dump import run_dump

    settings = Settings.from_env(store=args.store, dumps=args.out)
    display = _Progress(quiet=args.quiet)
    report = run_dump(settings.store, settings.dumps, settings, display)
    display.close()
    stamp = report.manifest.stamp
    print(f"dumped build {stamp.build} (fingerprint {stamp.fingerprint}) to {report.release} in {report.seconds:.1f} s")
    for entry in report.manifest.files:
        print(f"  {entry.name:<34}{entry.bytes:>14,} bytes{entry.triples:>12,} triples")
    return 0


def _build(args: argparse.Namespace) -> int:
    from kg.pipeline import BuildInput, BuildRefused, build

    settings = Settings.from_env(store=args.store, base_uri=args.base_uri, workers=args.workers)
    request = BuildInput(args.source, tuple(args.holdings), tuple(args.vocab), args.strict, wait=args.wait)
    display = _Progress(quiet=args.quiet)
    try:
        report = build(request, settings, display)
    except BuildRefused as refused:
        display.close()
        _print_problems(refused.problems)
        print(f"kg: build refused (--strict): {len(refused.problems)} problem(s); the store was not changed", file=sys.stderr)
        return 1
    display.close()
    _print_problems(report.problems)
    if report.notes:
        print(f"notes ({len(report.notes)}; all in build.json):", file=sys.stderr)
        for note in report.notes[:10]:
            print(f"  {note}", file=sys.stderr)
    print(_summary_table(report))
    return 0


# --- kg library: the contributing libraries' registry (kg.libraries) ----------------------

EPILOG_LIBRARY = """examples:
  kg library add sh-lib --name 上海图书馆 --homepage https://www.library.sh.cn/
  kg library list
  kg library new-token sh-lib        (the old token stops working)
  kg library revoke-token sh-lib

The registry is STORE/libraries.json, beside the builds: it survives rebuilds.
A token is printed once, on stdout; only its SHA-256 is stored."""


def _add_library_commands(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("library", help="register contributing libraries and manage their API tokens",
                                epilog=EPILOG_LIBRARY, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = group.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register a library and print its API token (once)")
    add.add_argument("id", help="library id: a-z 0-9 _ - (not 'vocabularies' or 'meta'), e.g. sh-lib")
    add.add_argument("--name", required=True, help="display name, e.g. 上海图书馆")
    add.add_argument("--homepage", default="", help="the library's web site (http(s) URL)")
    add.add_argument("--opac-pattern", default="", help="catalogue URL of a holding with {id} and/or {isbn}")
    add.add_argument("--openurl-resolver", default="", help="base URL of its OpenURL 1.0 resolver")
    listing = actions.add_parser("list", help="the registered libraries (never their tokens)")
    new = actions.add_parser("new-token", help="issue a new API token (printed once); the old one stops working")
    new.add_argument("id")
    revoke = actions.add_parser("revoke-token", help="revoke the library's API token")
    revoke.add_argument("id")
    for action in (add, listing, new, revoke):
        action.add_argument("--store", type=Path, help="store directory (KG_STORE, default var/store)")


def _library(args: argparse.Namespace) -> int:
    from kg.libraries import LibraryError, Registry

    registry = Registry(Settings.from_env(store=args.store).store)
    try:
        if args.action == "add":
            library, token = registry.add(args.id, args.name, args.homepage, args.opac_pattern, args.openurl_resolver)
            print(f"registered library {library.id} ({library.name}); its API token follows, shown this once "
                  f"(only its SHA-256 is kept in {registry.path})", file=sys.stderr)
            print(token)
        elif args.action == "new-token":
            token = registry.new_token(args.id)
            print(f"new API token for {args.id} (the previous one no longer works), shown this once:", file=sys.stderr)
            print(token)
        elif args.action == "revoke-token":
            registry.revoke_token(args.id)
            print(f"revoked the API token of {args.id}; 'kg library new-token {args.id}' issues another", file=sys.stderr)
        else:
            _print_libraries(registry.all())
    except LibraryError as error:
        print(f"kg: error: {error}", file=sys.stderr)
        return 2
    return 0


def _print_libraries(libraries) -> None:
    print(f"{'id':<20}{'token':<10}{'created':<22}name")
    for library in libraries:
        print(f"{library.id:<20}{library.token_state:<10}{library.created:<22}{library.name}"
              + (f"  <{library.homepage}>" if library.homepage else ""))


def _info(args: argparse.Namespace) -> int:
    from kg.store import StoreDirectory

    settings = Settings.from_env(store=args.store)
    summary = StoreDirectory(settings.store).summary()
    print(f"store      {settings.store} (build {summary['fingerprint']}, finished {summary['finished']})")
    for name, value in summary["counts"].items():
        print(f"{name:<17}{value:>10}")
    return 0


def _print_problems(problems: Sequence[InputError]) -> None:
    if problems:
        print(f"skipped ({len(problems)}):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem.describe()}", file=sys.stderr)


def _summary_table(report) -> str:
    c = report.counts
    lines = [f"built {report.build}", ""]
    lines += [f"  {name:<17}{c.get(name, 0):>10}" for name in
              ("lectures", "cues", "keywords", "knowledge_points", "holdings", "holding_links", "related", "triples", "problems")]
    lines += ["", "  seconds per stage:"]
    lines += [f"  {stage:<17}{seconds:>10.2f}" for stage, seconds in report.seconds.items()]
    lines += [f"  {'total':<17}{sum(report.seconds.values()):>10.2f}"]
    return "\n".join(lines)


class _Progress:
    """One status line per stage on stderr (rewritten in place on a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.tty = quiet, sys.stderr.isatty()
        self.stage, self.last = "", 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if stage != self.stage:
            if self.stage and self.tty:
                print(file=sys.stderr)
            self.stage = stage
        elif now - self.last < 0.2 and done != total:
            return
        self.last = now
        text = f"[{stage}] {done}/{total}" if total else f"[{stage}] {done or ''}".rstrip()
        print(("\r" if self.tty else "") + text, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.stage and self.tty and not self.quiet:
            print(file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
