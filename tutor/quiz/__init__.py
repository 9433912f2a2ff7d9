"""Practice questions: a catalogue of quiz topics, generation, validation, the question bank,
grading, and the learner's progress with spaced repetition."""
