"""`tutor quiz …`: build the bank, practise in the terminal, simulate the exam, show progress."""

from __future__ import annotations

import argparse

from tutor.config import Settings


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from tutor.llm import load_chat_model
    from tutor.quiz.bank import BankBuilder, bank_path, plan, report_path

    llm = load_chat_model(settings, progress=True)
    builder = BankBuilder(settings, llm)
    topics = list(builder.topics.values())
    if args.topic:
        topics = [t for t in topics if t.id in set(args.topic)]
    slots = plan(topics, per_topic=args.per_topic)
    if args.limit:
        slots = slots[: args.limit]
    bar = tqdm(total=len(slots), desc="questions", unit="slot", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    summary = builder.build(
        slots,
        bank_path(settings),
        report_path(settings),
        on_progress=progress,
        rebuild=args.rebuild,
    )
    bar.close()
    print(
        f"bank: {summary['bank_size']} questions ({summary['by_lang']}), "
        f"{summary['topics_covered']}/{summary['topics_total']} topics, "
        f"domains {summary['by_domain']}"
    )
    if summary["attempts"]:
        print(
            f"this run: {summary['accepted']}/{summary['attempts']} generated questions passed "
            f"validation ({summary['pass_rate']:.0%}) in {summary['seconds']:.0f} s"
        )
        print("rejections: " + ", ".join(f"{k} {v}" for k, v in summary["rejections"].items() if v))
    print(f"bank file: {bank_path(settings)}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("quiz", help="practice questions: build the bank, practise, exam, stats")
    qsub = p.add_subparsers(dest="quiz_command")
    b = qsub.add_parser("build", help="generate and validate the question bank (resumable)")
    b.add_argument("--per-topic", type=int, default=4, help="questions planned per topic")
    b.add_argument("--topic", action="append", help="only this topic id (repeatable)")
    b.add_argument("--limit", type=int, default=0, help="only the first N planned questions")
    b.add_argument("--rebuild", action="store_true", help="discard the bank and start over")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=cmd_build)
