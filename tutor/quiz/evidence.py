"""Where a choice's facts live in the index: the chunks of its note, or the sentences of a note
that name an item. Generation cites them and validation measures a stem against them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from tutor.quiz.topics import Choice
from tutor.retrieval import split_sentences


@dataclass
class Passage:
    source: str
    title: str
    section: str
    text: str

    def citation(self, n: int) -> dict:
        return {
            "n": n,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "text": self.text,
        }


# Two cues this close state the same need (all-MiniLM cosine; paraphrases sit above 0.75).
CUE_CLASH = 0.75

# Sentences that announce an answer ("Right answer: …", "Why the others are wrong") belong to
# the notes' worked scenarios: quoted as a distractor's fact they would contradict the key.
_ANSWER_TALK = re.compile(r"\b(right answer|the answer is|why the (others|alternatives))\b", re.I)


def _says_what(sentence: str, name: str) -> tuple:
    """How well a sentence tells what an item is, for a distractor's explanation: a complete
    sentence that is not about a worked case ("The first model reports 98 % accuracy") nor a
    calculation ("MAE = … = 12.5"), then one that defines the item ("Hold-out validation
    trains once…"); max() keeps the earliest of equals."""
    text = sentence.strip()
    complete = text.endswith((".", "!", "?", ")")) and len(text) >= 40
    calculation = text.count("=") >= 2 or sum(c.isdigit() for c in text) > len(text) / 8
    case = bool(
        re.search(r"\b(scenario|the first model|the second model|in this case)\b", text, re.I)
    )
    # "The bias drift monitor recomputes…" starts with its name too; without the article such a
    # definition lost to a use case that happens to say "is" ("…: that is the bias drift monitor").
    starts = bool(re.match(rf"\W*(?:the |an? )?{re.escape(name.split()[0])}", text, re.I))
    defines = bool(re.search(r"\b(is|are|means|measures|uses|keeps|trains|splits)\b", text))
    return (complete and not calculation and not case, starts, defines)


def _words(name: str) -> list[str]:
    """Item words, spelled so British and American forms match (optimisation/optimization)."""
    words = re.findall(r"[a-z0-9²\-]+", re.sub(r"\(.*?\)", "", name.lower()))
    return [w.replace("is", "iz") for w in words if len(w) >= 2]


def others(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The question's other option names: what an option's own evidence must not mention."""
    return tuple(n for n in names if n != name)


def mentions(text: str, name: str) -> bool:
    """Every word of the name appears as a whole word ('supervised' is not in 'unsupervised')."""
    folded = text.lower().replace("is", "iz")
    return all(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", folded) for w in _words(name))


@dataclass
class Evidence:
    """Passages, sentences and their vectors per note, cached for a whole bank build."""

    index: object  # tutor.store.Index
    embedder: object
    _chunks: dict[str, list[Passage]] = field(default_factory=dict)
    _chunk_vecs: dict[str, np.ndarray] = field(default_factory=dict)
    _item_vecs: dict[tuple[str, str], tuple[list[str], np.ndarray]] = field(default_factory=dict)
    _sentences: dict[str, tuple[list[str], list[str], np.ndarray]] = field(default_factory=dict)
    _cue_vecs: dict[str, np.ndarray] = field(default_factory=dict)

    def cue_vectors(self, cues: list[str]) -> np.ndarray:
        """Embeddings of curated cues (see Topic.cues), computed once per build."""
        missing = [c for c in dict.fromkeys(cues) if c not in self._cue_vecs]
        if missing:
            for cue, vec in zip(missing, self.embedder.embed(missing), strict=True):
                self._cue_vecs[cue] = np.asarray(vec, dtype=np.float32)
        if not cues:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([self._cue_vecs[c] for c in cues])

    def cue_score(self, cues: list[str], vec: np.ndarray) -> float:
        """How well a stem states one of these needs: the best cosine to any of them."""
        if not cues:
            return 0.0
        return float(np.max(self.cue_vectors(cues) @ vec))

    def cue_clash(self, cue: str, others: list[str]) -> bool:
        """Another answer's own cues say (nearly) the same as this cue: a scenario written
        around it would fit both, so that answer cannot be a distractor."""
        if not cue or not others:
            return False
        return self.cue_score(others, self.cue_vectors([cue])[0]) >= CUE_CLASH

    def sentences(self, topic: str) -> tuple[list[str], list[str], np.ndarray]:
        """Every sentence of a note with its section and vector, embedded once per build."""
        if topic not in self._sentences:
            texts: list[str] = []
            sections: list[str] = []
            for c in self.chunks(topic):
                for s in split_sentences(c.text):
                    texts.append(s)
                    sections.append(c.section)
            vecs = self.embedder.embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)
            self._sentences[topic] = (texts, sections, vecs)
        return self._sentences[topic]

    def chunks(self, topic: str) -> list[Passage]:
        if topic not in self._chunks:
            res = self.index.collection.get(
                where={"doc_id": topic}, include=["documents", "metadatas", "embeddings"]
            )
            order = sorted(range(len(res["ids"])), key=lambda i: res["ids"][i])
            self._chunks[topic] = [
                Passage(
                    str(res["metadatas"][i].get("source", "")),
                    str(res["metadatas"][i].get("title", "")),
                    str(res["metadatas"][i].get("section", "")),
                    res["documents"][i],
                )
                for i in order
            ]
            vecs = [res["embeddings"][i] for i in order]
            self._chunk_vecs[topic] = np.asarray(vecs, dtype=np.float32).reshape(len(order), -1)
        return self._chunks[topic]

    def distinctive_passage(
        self, key: Choice, rivals: list[Choice], variant: int, cue: str = "", size: int = 4
    ) -> Passage | None:
        """The key's sentences that fit it and not its rivals: what a scenario should use.

        Each sentence of the key's material is scored by its best cosine to the key's own
        chunks minus its best cosine to any rival's; the top sentences, in reading order, make
        a short passage. With a cue, the sentences closest to the cue come first (the scenario
        states that need, so the passage should back it); otherwise the variant number slides
        the window, so repeated questions on one topic draw on different facts.
        """
        if key.item:
            others = tuple(r.name for r in rivals if r.item)
            sentences, vecs = self.item_sentences(key, others)
            own = vecs
        else:
            skip = ("Names and changes", "How it connects")
            texts, sections, all_vecs = self.sentences(key.topic)
            keep = [
                i
                for i, s in enumerate(texts)
                if not sections[i].split(" > ")[-1].startswith(skip)
                and 40 <= len(s) <= 400
                and not _ANSWER_TALK.search(s)
            ]
            sentences = [texts[i] for i in keep]
            vecs = all_vecs[keep]
            own = self._chunk_vecs[key.topic]
        if not sentences:
            return None
        rival_vecs = [
            self._chunk_vecs[r.topic] if not r.item else self.item_sentences(r)[1]
            for r in rivals
            if r.topic and (r.item or self.chunks(r.topic))
        ]
        rival_vecs = [v for v in rival_vecs if len(v)]
        mine = np.max(vecs @ own.T, axis=1) if len(own) else np.zeros(len(sentences))
        theirs = (
            np.max(np.concatenate([vecs @ rv.T for rv in rival_vecs], axis=1), axis=1)
            if rival_vecs
            else np.zeros(len(sentences))
        )
        if cue:
            focus = vecs @ self.cue_vectors([cue])[0]
            picked = sorted(np.argsort(-(focus + 0.5 * (mine - theirs)))[:size])
        else:
            order = list(np.argsort(-(mine - theirs)))
            start = (variant * 2) % max(1, len(order) - size + 1)
            picked = sorted(order[start : start + size])
        text = " ".join(sentences[i] for i in picked)
        home = next((c for c in self.chunks(key.topic) if sentences[picked[0]] in c.text), None)
        if home is None:
            home = self.chunks(key.topic)[0]
        return Passage(home.source, home.title, home.section, text)

    def fact(self, choice: Choice, summary: str, others: tuple[str, ...] = ()) -> Passage:
        """One short passage saying what a choice is, to explain why it is (not) the answer;
        for an item, a sentence that names none of the question's other options."""
        chunks = self.chunks(choice.topic)
        if not chunks:
            return Passage("", choice.name, "", summary)
        if not choice.item:
            text = summary or chunks[0].text[:300]
        else:
            sentences, _ = self.item_sentences(choice, others)
            plain = [s for s in sentences if not _ANSWER_TALK.search(s)]
            text = max(plain, key=lambda s: _says_what(s, choice.name)) if plain else summary
        home = self.home(choice.topic, text) or chunks[0]
        return Passage(home.source, home.title, home.section, text)

    def home(self, topic: str, text: str) -> Passage | None:
        """The chunk a quoted sentence comes from, so its citation names the right section."""
        probe = " ".join(text.split())[:60]
        return next((c for c in self.chunks(topic) if probe in " ".join(c.text.split())), None)

    def item_sentences(
        self, choice: Choice, others: tuple[str, ...] = ()
    ) -> tuple[list[str], np.ndarray]:
        """Sentences naming the item and none of the other options: its own evidence."""
        key = (choice.topic, choice.name, *others)
        if key not in self._item_vecs:
            texts, _, vecs = self.sentences(choice.topic)
            keep = [
                i
                for i, s in enumerate(texts)
                if mentions(s, choice.name) and not any(mentions(s, o) for o in others)
            ]
            self._item_vecs[key] = ([texts[i] for i in keep], vecs[keep])
        return self._item_vecs[key]

    def described_alone(self, choice: Choice, options: tuple[str, ...]) -> bool:
        """The note has a sentence about this item that names none of the other options: the
        only way an item can be told apart from its rivals (and validated)."""
        return bool(self.item_sentences(choice, others(options, choice.name))[0])

    def score(self, choice: Choice, stem_vec: np.ndarray, others: tuple[str, ...] = ()) -> float:
        """How well the choice's own material matches a stem: the best cosine over its evidence."""
        if choice.item:
            _, vecs = self.item_sentences(choice, others)
        else:
            self.chunks(choice.topic)
            vecs = self._chunk_vecs[choice.topic]
        if len(vecs) == 0:
            return 0.0
        return float(np.max(vecs @ stem_vec))

    def doc_ranks(self, query: str, stem_vec: np.ndarray, k: int = 40) -> dict[str, int]:
        """Rank of each note for a stem under the tutor's own hybrid retrieval (1 = best)."""
        from tutor.retrieval import reciprocal_rank_fusion

        vector_hits = self.index.vector_search(stem_vec.tolist(), k)
        lexical_hits = self.index.lexical.search(query, k)
        fused = reciprocal_rank_fusion([c for c, _ in vector_hits], [c for c, _ in lexical_hits])
        ranked = sorted(fused, key=lambda c: -fused[c])
        metas = self.index.get(ranked)
        ranks: dict[str, int] = {}
        for cid in ranked:
            doc = metas.get(cid, ("", {}))[1].get("doc_id", "")
            if doc and doc not in ranks:
                ranks[doc] = len(ranks) + 1
        return ranks
