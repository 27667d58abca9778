"""Brand queries: syntax, precedence, Unicode folding, errors, excludes and the many-brand matcher."""

import pytest

from monitors.ingest.query import BrandRule, CompiledQuery, Matcher, QueryError, compile_brand, compile_query, tokenize


def hits(query: str, text: str) -> bool:
    return compile_query(query).matches(text)


# --- words and operators ---------------------------------------------------------------------------------


def test_a_word_matches_whole_words_in_any_case():
    assert hits("acme", "I love ACME")
    assert hits("ACME", "i love acme")
    assert not hits("acme", "welcome to Acmeville")
    assert not hits("acme", "the acmes")


@pytest.mark.parametrize(
    "text", ["Acme's support", "#acme rocks", "cc @acme", "see acme.com", "acme-support", "@acme_help"]
)
def test_punctuation_hashtags_and_handles_separate_words(text):
    assert hits("acme", text)


def test_a_handle_in_the_query_is_its_word():
    assert hits("@acmehelp", "thanks @AcmeHelp")
    assert hits("@acmehelp", "acmehelp is slow")
    assert not hits("acme", "thanks @acmehelp")


def test_and_explicit_and_implicit():
    for query in ("acme AND support", "acme support"):
        assert hits(query, "Acme support is slow")
        assert hits(query, "support from acme")
        assert not hits(query, "acme is slow")


def test_or():
    assert hits("acme OR globex", "globex broke")
    assert hits("acme OR globex", "acme broke")
    assert not hits("acme OR globex", "initech broke")


def test_not_and_leading_minus():
    for query in ("acme NOT refund", "acme AND NOT refund", "acme -refund"):
        assert hits(query, "acme is great")
        assert not hits(query, "acme refund please")


def test_minus_negates_phrases_and_groups():
    assert not hits('acme -"road runner"', "acme and the road runner")
    assert hits('acme -"road runner"', "acme runner on the road")
    assert not hits("acme -(coyote OR roadrunner)", "acme coyote")
    assert hits("acme -(coyote OR roadrunner)", "acme anvil")


def test_a_hyphen_inside_a_word_is_not_negation():
    assert hits("t-mobile", "T-Mobile dropped my call")
    assert hits("t-mobile", "t mobile dropped my call")
    assert not hits("t-mobile", "mobile dropped my call")


def test_operators_in_any_case_and_quoted_operators_are_words():
    assert hits("acme or globex", "globex")
    assert hits("acme and not refund", "acme")
    assert not hits("acme and not refund", "acme refund")
    assert hits('acme "not"', "acme is not working")
    assert not hits('acme "not"', "acme is working")


def test_precedence_not_binds_tighter_than_and_tighter_than_or():
    # a OR b AND c  ==  a OR (b AND c)
    assert hits("a1 OR b1 AND c1", "a1")
    assert not hits("a1 OR b1 AND c1", "b1")
    assert hits("a1 OR b1 AND c1", "b1 c1")
    # NOT a AND b  ==  (NOT a) AND b
    assert hits("NOT a1 AND b1", "b1")
    assert not hits("NOT a1 AND b1", "a1 b1")
    # implicit AND also binds tighter than OR: a b OR c  ==  (a b) OR c
    assert hits("a1 b1 OR c1", "c1")
    assert not hits("a1 b1 OR c1", "a1")


def test_nested_parentheses():
    query = compile_query("(acme OR (globex AND (widget OR gadget))) AND NOT (spam OR (job AND offer))")
    assert query.matches("acme")
    assert query.matches("globex gadget")
    assert not query.matches("globex")
    assert not query.matches("acme spam")
    assert query.matches("acme job")
    assert not query.matches("acme job offer")
    assert hits("((((acme))))", "acme")


def test_double_negation():
    assert hits("NOT NOT acme", "acme")
    assert not hits("NOT NOT acme", "globex acme1")


# --- phrases and prefixes ----------------------------------------------------------------------------------


def test_phrase_needs_adjacent_words_in_order():
    assert hits('"acme support"', "Acme Support never answers")
    assert hits('"acme support"', "acme-support")
    assert not hits('"acme support"', "support acme")
    assert not hits('"acme support"', "acme great support")
    assert not hits('"acme sup"', "acme support")


def test_typographic_quotes_make_phrases():
    assert hits("\u201cacme support\u201d", "acme support")
    assert not hits("\u201cacme support\u201d", "support acme")


def test_prefix():
    for text in ("refund", "refunds", "REFUNDED now"):
        assert hits("refund*", text)
    assert not hits("refund*", "no prerefund")
    assert not hits("refund*", "refu")


def test_prefix_at_the_end_of_a_phrase():
    assert hits('"acme refund*"', "acme refunds are slow")
    assert not hits('"acme refund*"', "acme will refund")
    assert hits("acme.co*", "see acme.com")


def test_a_phrase_term_with_separators_is_a_phrase():
    assert hits("acme.com", "acme.com is down")
    assert hits("acme.com", "acme com")
    assert not hits("acme.com", "com acme")


# --- Unicode -----------------------------------------------------------------------------------------------


def test_turkish_dotted_and_dotless_i_fold_to_i():
    assert hits("İstanbul", "istanbul")
    assert hits("istanbul", "İSTANBUL")
    assert hits("ISIK", "Işık")


def test_german_sharp_s_casefolds_to_ss():
    assert hits("straße", "STRASSE")
    assert hits("strasse", "Straße")
    assert hits("STRASSE", "straẞe")


def test_accents_are_ignored_both_ways():
    assert hits("café", "the cafe is closed")
    assert hits("cafe", "the Café is closed")
    assert hits("café", "cafe\u0301 decomposed")
    assert hits("Ørsted", "orsted")
    assert hits("Łódź", "lodz")
    assert not hits("muller", "mueller")


def test_greek_final_sigma_and_cyrillic_case():
    assert hits("ΣΊΣΥΦΟΣ", "σίσυφος")
    assert hits("привет", "ПРИВЕТ мир")


def test_compatibility_forms_and_invisible_characters():
    assert hits("acme", "ＡＣＭＥ")
    assert hits("fine", "ﬁne")
    assert hits("acme", "ac\u00adme")  # soft hyphen
    assert hits("acme", "Acme™ products")


def test_emoji_separate_words_and_cannot_be_terms():
    assert hits("acme", "I ❤️acme😡")
    assert hits('"love acme"', "love 😍 acme")
    with pytest.raises(QueryError, match="no letters or digits"):
        compile_query("acme 🍕")


def test_cjk_terms_match_as_character_sequences():
    assert hits("索尼", "我的索尼电视坏了")
    assert hits('"索尼 电视"', "索尼电视")
    assert hits("索尼电视", "索尼 电视")
    assert not hits("索尼", "尼索")
    assert hits("ソニー", "ソニーのテレビが壊れた")
    assert hits("삼성", "삼성이 최고")
    assert hits("acme", "我爱acme产品")
    assert hits("ｿﾆｰ", "ソニー")  # half-width katakana


def test_indic_vowel_signs_stay_inside_the_word():
    assert hits("हिन्दी", "हिन्दी भाषा")
    assert not hits("हिन", "हिन्दी भाषा")


def test_tokenize_is_the_same_on_the_ascii_and_unicode_paths():
    text = "Acme's support_team (acme.com) said: REFUND-42, ok?"
    assert tokenize(text + " é") == tokenize(text) + ["e"]
    assert tokenize(text) == ["acme", "s", "support", "team", "acme", "com", "said", "refund", "42", "ok"]
    assert tokenize("I\u2019ve \u201cwaited\u201d\u2014forever\u2026") == ["i", "ve", "waited", "forever"]


# --- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message",
    [
        ("", "query is empty"),
        ("   ", "query is empty"),
        ("(acme OR globex", "'(' at column 1 is never closed"),
        ("acme OR globex)", "')' at column 15 has no matching '('"),
        ("(acme)) OR (x", "')' at column 7 has no matching '('"),
        ("acme AND", "AND at column 6 needs a term after it"),
        ("acme OR", "OR at column 6 needs a term after it"),
        ("AND acme", "AND at column 1 needs a term before it"),
        ("acme AND OR globex", "AND at column 6 needs a term after it"),
        ("acme (OR globex)", "OR at column 7 needs a term before it"),
        ("acme NOT", "NOT at column 6 needs a term after it"),
        ("NOT", "NOT at column 1 needs a term after it"),
        ("acme -", "'-' at column 6 must touch what it negates"),
        ("(acme -)", "'-' at column 7 needs a term after it"),
        ('acme ""', "empty quotes at column 6"),
        ('acme "  "', "empty quotes at column 6"),
        ('acme "support', "unterminated quote at column 6"),
        ("acme ()", "empty parentheses at column 6"),
        ("re*und", "'*' in 're*und' at column 1: a wildcard may only end a term"),
        ("acme *", "term '*' at column 6 has no letters or digits"),
        ('acme "!!"', "phrase '!!' at column 6 has no letters or digits"),
        ("NOT acme", "matches text that holds none of its words"),
        ("-acme", "matches text that holds none of its words"),
        ("acme OR -globex", "matches text that holds none of its words"),
    ],
)
def test_malformed_queries_say_what_and_where(query, message):
    with pytest.raises(QueryError) as info:
        compile_query(query)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


# --- terms --------------------------------------------------------------------------------------------------


def test_terms_are_the_positive_terms_normalised_in_order():
    query = compile_query('Acme OR "Acme Support" OR refund* AND NOT (spam OR -Café) acme')
    assert query.terms == ("acme", "acme support", "refund*", "cafe")


def test_compiled_queries_compare_by_text():
    assert compile_query("acme") == compile_query("acme")
    assert compile_query("acme") != compile_query("ACME")
    assert len({compile_query("acme"), compile_query("acme")}) == 1


# --- brands and the matcher ------------------------------------------------------------------------------------


def test_any_exclude_vetoes_the_brand():
    rule = compile_brand("Acme", "acme", ["acmeville", '"road runner"', "coyote AND anvil"])
    assert isinstance(rule, BrandRule)
    matcher = Matcher([rule])
    assert matcher.match("acme broke my order") == ["Acme"]
    assert matcher.match("acme and the road runner") == []
    assert matcher.match("acme sold the coyote an anvil") == []
    assert matcher.match("acme sold the coyote a rocket") == ["Acme"]


def test_brand_errors_name_the_brand_and_the_exclude():
    with pytest.raises(QueryError, match=r"brand 'Acme': exclude\[1\]: unbalanced parenthesis"):
        compile_brand("Acme", "acme", ["spam", "(job"])
    with pytest.raises(QueryError, match="brand 'Acme': AND at column 6"):
        compile_brand("Acme", "acme AND")


def test_matcher_returns_brands_in_rule_order():
    matcher = Matcher(
        [
            compile_brand("Zeta", "zeta"),
            compile_brand("Alpha", "alpha"),
            compile_brand("Refunds", "refund*"),
        ]
    )
    assert matcher.match("refunds from alpha and zeta") == ["Zeta", "Alpha", "Refunds"]
    assert matcher.match("nothing here") == []
    assert Matcher([]).match("alpha") == []


def test_matcher_agrees_with_each_rule_on_many_rules():
    queries = [f"brand{i}" for i in range(150)]
    queries += [f'"brand{i} support" OR brand{i}x*' for i in range(50)]
    queries += ["refund* AND (brand3 OR brand7)", "(brand1 OR brand2) -brand3", "NOT spam AND brand4", "ship* -brand9"]
    queries += ["索尼", "café OR straße", '"brand5 brand6" OR (brand8 AND refund*)']
    rules = [compile_brand(f"rule{i}", q, ["spam"] if i % 7 == 0 else ()) for i, q in enumerate(queries)]
    matcher = Matcher(rules)
    texts = [
        "",
        "brand1 and brand3",
        "brand1 and brand2",
        "brand3 refunds",
        "brand7 refund spam",
        "brand0 spam",
        "brand14 brand21 brand28",
        "brand12 support desk and brand13xyz",
        "shipping was slow",
        "shipping by brand9",
        "我的索尼电视坏了, Cafe in der Strasse",
        "brand5 brand6",
        "brand6 brand5 brand8 refunding",
        "BRAND4 is fine",
        "brand4 spam",
    ]
    for text in texts:
        expected = [
            r.name for r in rules if r.query.matches(text) and not any(ex.matches(text) for ex in r.exclude)
        ]
        assert matcher.match(text) == expected, text
    assert matcher.match("brand1 and brand2") == ["rule1", "rule2", "rule201"]


def test_required_words_rule_out_texts_without_them():
    assert compile_query("acme OR globex").required_words == {"acme", "globex"}
    assert compile_query('acme AND "support desk"').required_words in ({"acme"}, {"support"})
    assert compile_query("refund* OR acme").required_words is None
    assert compile_query("refund* AND acme").required_words == {"acme"}
    assert compile_query('"acme refund*"').required_words == {"acme"}


def test_brand_rule_is_a_frozen_value():
    rule = compile_brand("Acme", "acme")
    with pytest.raises(AttributeError):
        rule.name = "Other"  # type: ignore[misc]
    assert rule == compile_brand("Acme", "acme")
    assert isinstance(rule.query, CompiledQuery) and rule.exclude == ()
