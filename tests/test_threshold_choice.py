"""How a field model's threshold is chosen from the training documents' cross-fitted outcomes
(benchmarks/train_fields.choose_threshold): right values count, wrong ones count against, and a cut that a
single document's outcome decides is not trusted."""

from benchmarks.train_fields import choose_threshold

HIGH = [(0.9, True, True)] * 20


def test_a_cut_that_only_one_document_favours_is_not_taken():
    # At the lowest scores two right, one wrong, two right: answering always reads one document more right
    # than the cut above the wrong one, by the outcome of one document.
    low = [(0.009, True, True), (0.009, True, True), (0.0103, False, True), (0.011, True, True), (0.011, True, True)]
    chosen = choose_threshold(low + HIGH)
    assert 0.0103 < chosen["threshold"] < 0.011
    assert chosen["threshold_documents"] == 25


def test_wrong_values_far_below_the_right_ones_are_cut_off():
    low = [(0.01, False, True)] * 6 + [(0.02, False, False)] * 4
    chosen = choose_threshold(low + HIGH)
    assert 0.02 < chosen["threshold"] < 0.9
    assert chosen["threshold_accuracy"] == 24 / 30
