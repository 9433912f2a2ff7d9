from tutor.language import detect_language, fold


def test_detects_french_and_english():
    assert detect_language("Quel service détecte la dérive des données ?") == "fr"
    assert detect_language("Comment fonctionne Batch Transform") == "fr"
    assert detect_language("Which SageMaker feature detects data drift?") == "en"
    assert detect_language("DeepAR input format") == "en"


def test_fold_strips_accents():
    assert fold("Dérive ÉLEVÉE") == "derive elevee"
