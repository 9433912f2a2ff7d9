"""`tutor` command line: index, ask, serve, setup."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tutor.config import Settings, apply_offline_environment
from tutor.errors import TutorError


def _print_error(err: TutorError) -> None:
    print(f"error: {err.problem}", file=sys.stderr)
    if err.fix:
        print(f"  fix: {err.fix}", file=sys.stderr)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.store import build_index, read_manifest

    if args.status:
        manifest = read_manifest(settings.index_dir)
        if manifest is None:
            print(f"no index in {settings.index_dir} (run `tutor index`)")
            return 1
        print(f"index: {settings.index_dir}")
        print(
            f"built: {manifest['built_at']}  files: {len(manifest['files'])}  "
            f"chunks: {manifest['chunks']}  embedder: {manifest['embedder']}"
        )
        for root in manifest.get("extra_roots", []):
            print(f"added folder: {root}")
        return 0
    report = build_index(
        settings, add=args.add, remove=args.remove, rebuild=args.rebuild, progress=not args.quiet
    )
    print(
        f"indexed {report.files} files, {report.chunks} chunks "
        f"({report.embedded_chunks} embedded from {report.embedded_files} changed files, "
        f"{report.reused_files} files reused, {report.removed_files} removed) "
        f"in {report.seconds:.1f} s"
    )
    for source, reason in report.skipped:
        print(f"skipped {source}: {reason}", file=sys.stderr)
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.chat import Answer, Tutor

    tutor = Tutor(settings, progress=not args.json)
    question = " ".join(args.question)
    if args.json:
        answer = tutor.ask(question)
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    answer = None
    streamed = ""
    for piece in tutor.stream(question):
        if isinstance(piece, Answer):
            answer = piece
        else:
            streamed += piece
            print(piece, end="", flush=True)
    print()
    assert answer is not None
    if answer.text != streamed.strip() and not answer.abstained:
        # Citation markers were checked after generation; show the checked text.
        print(f"\n(checked) {answer.text}")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            where = f" — {c.section}" if c.section else ""
            print(f"  [{c.n}] {c.title}{where} ({c.source})")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.ui import launch

    launch(settings, host=args.host, port=args.port, share=args.share)
    return 0


def cmd_setup(args: argparse.Namespace, settings: Settings) -> int:
    """Prepare the models and build the index if missing: everything the first start needs."""
    from tutor.models import embedding_model_dir, resolve_llm_path
    from tutor.store import build_index, read_manifest

    if not settings.llm_url:
        path = resolve_llm_path(settings, progress=True)
        print(f"chat model ready: {path}")
    print(f"embedding model ready: {embedding_model_dir()}")
    if read_manifest(settings.index_dir) is None or args.reindex:
        report = build_index(settings, progress=True)
        print(
            f"index built: {report.files} files, {report.chunks} chunks in {report.seconds:.1f} s"
        )
    else:
        print(f"index ready: {settings.index_dir}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from tutor import evaluate as ev
    from tutor.chat import Tutor
    from tutor.embeddings import get_embedder

    thresholds = ev.load_thresholds()
    if args.quick:
        quick = thresholds.get("quick", {})
        if not args.model:
            settings = replace(settings, llm_model=quick.get("model", "small"))
        settings = replace(settings, max_answer_tokens=int(quick.get("max_answer_tokens", 64)))
    items = ev.load_gold(split=args.split)
    if args.quick:
        per_kind = int(thresholds.get("quick", {}).get("items_per_kind_and_language", 4))
        items = ev.quick_items(items, per_kind)
    if args.lang:
        items = [i for i in items if i["lang"] == args.lang]
    if args.every > 1:
        items = items[:: args.every]
    if args.limit:
        items = items[: args.limit]
    embedder = get_embedder()
    tutor = Tutor(settings, embedder=embedder, progress=True)
    tutor.warm_up()
    judge = ev.SupportJudge(embed=embedder.embed)
    results = ev.run_eval(tutor, items, judge, progress=not args.no_progress)
    metrics = ev.summarize(results)
    report = ev.Report(
        metrics,
        results,
        {
            "model": tutor.llm.name,
            "split": args.split,
            "quick": args.quick,
            "top_k": settings.top_k,
            "context_tokens": settings.context_tokens,
        },
    )
    _jpath, mpath = ev.write_report(report, Path(args.out))
    width = max(len(k) for k in metrics)
    for k, v in metrics.items():
        print(f"{k:<{width}}  {v}")
    print(f"report: {mpath}")
    floors = thresholds.get("quick_floors" if args.quick else "full_floors", {})
    failures = ev.check_floors(metrics, floors)
    for f in failures:
        print(f"below floor: {f}", file=sys.stderr)
    return 1 if failures and (args.quick or args.enforce) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tutor", description="Offline AWS MLS-C01 exam tutor")
    parser.add_argument("--model", help="chat model: default, small, or a GGUF path")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build or update the search index")
    p.add_argument("--add", type=Path, action="append", help="also index this folder (kept)")
    p.add_argument("--remove", type=Path, action="append", help="stop indexing an added folder")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument("--status", action="store_true", help="show what the index holds")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="ask one question")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--share", action="store_true", help="create a public Gradio link")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="measure answer fidelity on the gold set")
    p.add_argument("--split", default="test", choices=["dev", "test", "all"])
    p.add_argument("--quick", action="store_true", help="small model, a few items per kind")
    p.add_argument("--limit", type=int, default=0, help="evaluate only the first N items")
    p.add_argument("--every", type=int, default=1, help="evaluate every Nth item (a sample)")
    p.add_argument("--lang", choices=["en", "fr"], help="only questions in this language")
    p.add_argument(
        "--out", default=str(Path(__file__).resolve().parent.parent / "evals" / "reports")
    )
    p.add_argument("--enforce", action="store_true", help="fail when below the full floors")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_eval)

    from tutor.quiz.cli import add_parser as add_quiz_parser

    add_quiz_parser(sub)

    p = sub.add_parser("setup", help="prepare models and build the index if missing")
    p.add_argument("--reindex", action="store_true")
    p.set_defaults(func=cmd_setup)
    return parser


def main(argv: list[str] | None = None) -> int:
    apply_offline_environment()
    args = build_parser().parse_args(argv)
    try:
        overrides = {"llm_model": args.model} if args.model else {}
        settings = Settings.from_env(**overrides)
        return args.func(args, settings)
    except TutorError as err:
        _print_error(err)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; the previous index (if any) is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
