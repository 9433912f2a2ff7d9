"""`tutor quiz …`: build the bank, practise in the terminal, simulate the exam, show progress."""

from __future__ import annotations

import argparse
import time

from tutor.config import Settings


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    import signal

    from tqdm import tqdm

    from tutor.llm import load_chat_model
    from tutor.quiz.bank import BankBuilder, bank_path, plan, report_path

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # `kill` stops a long build cleanly, report included
    llm = load_chat_model(settings, progress=True)
    builder = BankBuilder(settings, llm)
    topics = list(builder.topics.values())
    if args.topic:
        topics = [t for t in topics if t.id in set(args.topic)]
    slots = plan(topics, per_topic=args.per_topic, choose_two_every=args.choose_two_every)
    if args.lang:  # e.g. English only while translations are being reviewed
        slots = [s for s in slots if s.lang == args.lang]
    if args.french_first:
        slots.sort(key=lambda s: s.lang != "fr")  # stable: keeps the plan's order otherwise
    if args.limit:
        slots = slots[: args.limit]
    bar = tqdm(total=len(slots), desc="questions", unit="slot", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    i, _, n = (args.shard or "0/1").partition("/")
    if not (i.isdigit() and n.isdigit() and int(i) < int(n)):
        from tutor.errors import TutorError

        raise TutorError(f"--shard {args.shard!r} is not i/n with i < n", "e.g. --shard 0/2")
    summary = builder.build(
        slots,
        bank_path(settings),
        report_path(settings),
        on_progress=progress,
        rebuild=args.rebuild,
        shard=(int(i), int(n)),
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


def _show(q, number: str = "") -> None:
    from tutor.quiz.question import LETTERS

    print()
    print(f"{number}[{q.topic} · domain {q.domain}]{' (choose two)' if q.choose > 1 else ''}")
    print(q.scenario)
    print(q.prompt)
    for i, o in enumerate(q.options):
        print(f"  {LETTERS[i]}) {o.text}")


def _feedback(fb) -> None:
    from tutor.quiz.question import LETTERS

    q = fb.question
    verdict = "correct" if fb.correct else f"incorrect: the answer is {fb.keys}"
    print(f"→ {verdict}")
    for i, o in enumerate(q.options):
        mark = "✓" if o.correct else " "
        print(f"  {mark} {LETTERS[i]}) {o.text}: {o.explanation} [{o.cite}]")
    for c in q.citations:
        where = f" › {c['section']}" if c.get("section") else ""
        print(f"  [{c['n']}] {c['title']}{where} ({c['source']})")
    print(f'  follow up: tutor ask "{fb.follow_up}"')


def _ask(q) -> tuple[str | None, float]:
    """Read an answer; None means quit. Bad input is explained and asked again."""
    from tutor.errors import TutorError
    from tutor.quiz.practice import parse_choice

    start = time.monotonic()
    while True:
        try:
            raw = input("your answer (letter" + ("s" if q.choose > 1 else "") + ", q to quit): ")
        except EOFError:
            return None, 0.0
        if raw.strip().lower() in {"q", "quit", "exit"}:
            return None, 0.0
        try:
            parse_choice(raw, q)
        except TutorError as err:
            print(f"  {err.problem}; {err.fix}")
            continue
        return raw, time.monotonic() - start


def _practice(settings: Settings):
    from tutor.quiz.practice import Practice

    practice = Practice(settings)
    if not practice.questions:
        from tutor.errors import TutorError

        raise TutorError("the question bank is empty", "run `tutor quiz build`")
    return practice


def cmd_practice(args: argparse.Namespace, settings: Settings) -> int:
    practice = _practice(settings)
    seen: set[str] = set()
    asked = 0
    while not args.count or asked < args.count:
        q = practice.next_question(args.topic, args.domain, args.lang, exclude=seen)
        if q is None and args.topic and not seen:
            print(f"no question for {args.topic} in the bank: writing one (this takes ~10 s)…")
            q = practice.generate(args.topic, args.lang or "en")
        if q is None:
            print("no more questions for this selection")
            break
        seen.add(q.id)
        _show(q, f"Q{asked + 1} ")
        raw, seconds = _ask(q)
        if raw is None:
            break
        _feedback(practice.submit(q.id, raw, seconds))
        asked += 1
    _print_summary(practice.summary())
    return 0


def cmd_exam(args: argparse.Namespace, settings: Settings) -> int:
    practice = _practice(settings)
    exam = practice.start_exam(args.questions, args.lang, args.seed)
    print(f"exam: {len(exam.questions)} questions, {exam.time_limit / 60:.0f} minutes")
    for i, q in enumerate(exam.questions, 1):
        if exam.remaining <= 0:
            print("time is up")
            break
        _show(q, f"Q{i}/{len(exam.questions)} · {exam.remaining / 60:.0f} min left ")
        raw, seconds = _ask(q)
        if raw is None:
            break
        fb = exam.answer(q.id, raw, seconds)
        print(
            "→ recorded"
            if not args.show_answers
            else f"→ {'correct' if fb.correct else 'incorrect'}"
        )
    report = exam.report()
    print(
        f"\nscore: {report['correct']}/{report['questions']} ({report['score']}%), "
        f"answered {report['answered']}, time {report['seconds_used'] // 60} min"
    )
    for d in report["by_domain"].values():
        print(f"  {d['name']}: {d['correct']}/{d['questions']}")
    return 0


def _print_summary(s: dict) -> None:
    print(
        f"\nprogress: {s['correct']}/{s['attempts']} correct overall; {s['due']} reviews due; "
        f"bank {s['bank']} questions"
    )
    for d in s["by_domain"].values():
        acc = "—" if not d["attempts"] else f"{d['accuracy']:.0%} of {d['attempts']}"
        print(f"  {d['name']}: {acc}")
    if s["weakest"]:
        print("weakest topics:")
        for w in s["weakest"]:
            print(f"  {w['title']}: error rate {w['error_rate']:.0%} over {w['attempts']}")


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.quiz.practice import Practice

    _print_summary(Practice(settings).summary())
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    from tutor.quiz.bank import (
        BankBuilder,
        bank_path,
        load_bank,
        reask,
        refresh_facts,
        rehome_citations,
        requote_keys,
        revalidate,
        rewrite_bank,
    )

    path = bank_path(settings)
    bank = load_bank(path)
    builder = BankBuilder(settings, llm=None)
    refreshed = sum(refresh_facts(builder, q) for q in bank)
    if refreshed:
        print(f"{refreshed} questions had a distractor fact re-quoted")
    by_id = {q.id: q for q in bank}
    requoted = sum(requote_keys(q, by_id.get(q.translated_from or "")) for q in bank)
    if requoted:
        print(f"{requoted} questions had their key's explanation re-quoted from the notes")
    reasked = sum(reask(builder, q) for q in bank)
    if reasked:
        print(f"{reasked} questions asked for the wrong kind of answer (question line rewritten)")
    rehomed = sum(rehome_citations(builder, q) for q in bank)
    if rehomed:
        print(f"{rehomed} questions had a citation pointing at the wrong section (fixed)")
    # Checked after the quotes are refreshed: a re-quoted explanation replaces one the old
    # rules would reject (a model sentence cut short).
    failures = revalidate(builder, bank)
    reasons = Counter(r for rs in failures.values() for r in rs)
    print(f"{len(bank) - len(failures)}/{len(bank)} questions pass today's rules")
    for reason, n in reasons.most_common():
        print(f"  {reason}: {n}")
    if (args.drop and failures) or refreshed or requoted or reasked or rehomed:
        keep = [q for q in bank if not (args.drop and q.id in failures)]
        rewrite_bank(path, keep)
        if args.drop and failures:
            print(f"dropped {len(failures)} questions from {path}")
    return 1 if failures and not args.drop else 0


def add_parser(sub) -> None:
    p = sub.add_parser("quiz", help="practice questions: build the bank, practise, exam, stats")
    p.add_argument("--topic", help="practise one topic (note id, e.g. sagemaker-model-monitor)")
    p.add_argument("--domain", type=int, choices=[1, 2, 3, 4], help="practise one exam domain")
    p.add_argument("--lang", choices=["en", "fr"], help="questions in this language only")
    p.add_argument("--count", type=int, default=0, help="stop after N questions")
    p.set_defaults(func=cmd_practice)
    qsub = p.add_subparsers(dest="quiz_command")
    e = qsub.add_parser("exam", help="timed exam simulation by official domain weights")
    e.add_argument("--questions", type=int, default=65)
    e.add_argument("--lang", choices=["en", "fr"], default="en", help="exam language")
    e.add_argument("--seed", type=int)
    e.add_argument("--show-answers", action="store_true", help="say right/wrong after each")
    e.set_defaults(func=cmd_exam)
    c = qsub.add_parser("check", help="re-validate the bank with the current rules")
    c.add_argument("--drop", action="store_true", help="remove questions that fail")
    c.set_defaults(func=cmd_check)
    s = qsub.add_parser("stats", help="scores by domain and topic, weakest topics, reviews due")
    s.set_defaults(func=cmd_stats)
    b = qsub.add_parser("build", help="generate and validate the question bank (resumable)")
    b.add_argument("--per-topic", type=int, default=4, help="questions planned per topic")
    b.add_argument("--topic", action="append", help="only this topic id (repeatable)")
    b.add_argument("--limit", type=int, default=0, help="only the first N planned questions")
    b.add_argument(
        "--choose-two-every",
        type=int,
        default=5,
        metavar="N",
        help="plan a 'choose two' question for every N-th topic (0: none)",
    )
    b.add_argument("--rebuild", action="store_true", help="discard the bank and start over")
    b.add_argument("--quiet", action="store_true")
    b.add_argument(
        "--french-first",
        action="store_true",
        help="fill French slots first (translations of kept English questions)",
    )
    b.add_argument("--shard", help="i/n: this process builds every n-th missing question")
    b.add_argument(
        "--lang", choices=["en", "fr"], help="only the planned questions in this language"
    )
    b.set_defaults(func=cmd_build)
