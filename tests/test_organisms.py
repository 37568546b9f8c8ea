"""The organism table: names, taxids, what users type, and mentions in titles."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from pfocr_tools import organisms
from pfocr_tools.errors import UsageError

from .conftest import CURRENT_RECORDS

GROUPS = {"Mammals", "Vertebrates", "Invertebrates", "Plants", "Fungi", "Bacteria", "Viruses",
          "Protists"}


def test_table_is_consistent() -> None:
    orgs = organisms.organisms()
    assert len(orgs) >= 150
    taxids = [o.taxid for o in orgs]
    assert len(taxids) == len(set(taxids))
    assert all(t.isdigit() and not t.startswith("0") for t in taxids)
    assert {o.group for o in orgs} == GROUPS
    owner: dict[str, str] = {}
    for org in orgs:
        assert org.scientific_name == org.scientific_name.strip()
        for key in (org.taxid, org.scientific_name, *org.common_names):
            key = key.casefold()
            assert owner.setdefault(key, org.taxid) == org.taxid, f"{key!r} names two organisms"
        for pat in org.mention_patterns:
            rx = re.compile(pat)
            assert rx.groups == 0, f"{pat!r}: use (?:...) groups only"
            assert not rx.fullmatch(""), f"{pat!r} matches nothing"


def test_every_organism_pfocr_lists_is_known() -> None:
    """Every organism of the current-schema genes TSVs, by name and taxid."""
    seen = set()
    for tsv in (CURRENT_RECORDS / "_data").glob("*-genes.tsv"):
        with tsv.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                seen.add((row["organism_id"], row["organism_name"]))
    assert len(seen) >= 15
    for taxid, name in seen:
        assert organisms.resolve(name) == (taxid, name)
        assert organisms.resolve(taxid) == (taxid, name)


@pytest.mark.parametrize(("name", "taxid"), [
    # MyGene.info species names
    ("human", "9606"), ("mouse", "10090"), ("rat", "10116"), ("fruitfly", "7227"),
    ("nematode", "6239"), ("zebrafish", "7955"), ("thale-cress", "3702"), ("frog", "8364"),
    ("pig", "9823"),
    # common names
    ("fruit fly", "7227"), ("worm", "6239"), ("yeast", "4932"), ("arabidopsis", "3702"),
    ("Budding Yeast", "4932"), ("fission yeast", "4896"), ("chicken", "9031"), ("dog", "9615"),
    ("E. coli", "562"), ("rhesus macaque", "9544"), ("rice", "39947"),
    # scientific names, file-name style, prefixes, odd spacing
    ("Mus musculus", "10090"), ("mus_musculus", "10090"), ("  Homo   sapiens ", "9606"),
    ("Canis familiaris", "9615"), ("taxid:7955", "7955"), ("NCBITaxon:3702", "3702"),
    ("txid6239", "6239"), ("009606", "9606"),
])
def test_resolve(name: str, taxid: str) -> None:
    assert organisms.resolve(name)[0] == taxid


def test_any_taxid_is_accepted() -> None:
    assert organisms.resolve("424242") == ("424242", "")
    assert organisms.resolve("10090") == ("10090", "Mus musculus")


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(UsageError) as info:
        organisms.resolve("zebra fsh")
    assert info.value.exit_code == 2
    assert "zebra fish" in str(info.value) and "NCBI taxid" in str(info.value)
    with pytest.raises(UsageError, match="unknown organism 'qqqq' \\(or give"):
        organisms.resolve("qqqq")


def test_name_to_taxid() -> None:
    assert organisms.name_to_taxid("Homo sapiens") == "9606"
    assert organisms.name_to_taxid("Escherichia coli PBA5") is None
    assert organisms.name_to_taxid("") is None


@pytest.mark.parametrize(("text", "taxids"), [
    ("Regulation of PIS1 in Saccharomyces cerevisiae by zinc", ["4932"]),
    ("fission yeast and budding yeast", ["4896", "4932"]),
    ("Innate immune recognition of Chlamydia", ["813"]),
    ("Host-cell signalling induced by EPEC in bacterial infection", ["2"]),
    ("miR-21 in HCV infection", ["10239"]),
    ("R5-tropic HIV-1 protein gp120", ["11676"]),
    ("the model in Plasmodium vivax", ["5855"]),  # the species, not the genus pattern
    ("Plasmodium", ["5833"]),
    ("Xenopus oocytes and Xenopus tropicalis", ["8355", "8364"]),
    ("Drosophila and D. simulans", ["7227", "7240"]),
    ("fruit flies and C. elegans", ["6239", "7227"]),
    ("zebrafish liver after feeding with maize", ["4577", "7955"]),
    ("in the chick embryo", ["9031"]),
    ("wildtype salmon", ["8030"]),
    ("plant life cycle", ["33090"]),
    ("fungal infection", ["4751"]),
    # no mention
    ("Human and rodent adrenal steroidogenic pathways in mice", []),
    ("macrophages, implants and prokaryote-like", []),
    ("COUP-TF (chicken ovalbumin upstream promoter transcription factor)", []),
    ("Haemophilus-free influenzae-like", []),
    ("", []),
])
def test_mentioned_taxids(text: str, taxids: list[str]) -> None:
    assert organisms.mentioned_taxids(text) == taxids


def test_mentions_over_several_texts() -> None:
    assert organisms.mentioned_taxids("yeast", "", "Arabidopsis", "yeast") == ["3702", "4932"]


def test_package_data_is_shipped() -> None:
    import pfocr_tools

    data = Path(pfocr_tools.__file__).parent / "data" / "organisms.tsv"
    header = data.read_text("utf-8").splitlines()[0].split("\t")
    assert header == ["taxid", "scientific_name", "group", "common_names", "mention_patterns"]


def test_fast_matcher_equals_the_plain_regex() -> None:
    """mentioned_taxids uses AnchoredAlternation: same taxids as the plain regex."""
    import random

    from .conftest import RECORDS

    regex = organisms._mention_regex()
    taxids = organisms._mention_matcher()[1]

    def plain(text: str) -> list[str]:
        return sorted({taxids[int(m.lastgroup[1:])] for m in regex.finditer(text)}, key=int)

    rng = random.Random(3)
    words = [w for o in organisms.organisms() for w in (o.scientific_name, *o.common_names)]
    words += ["the", "-", "(", ")", "non-", "like", "İ", "ſ"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(2000)]
    texts += [p.read_text("utf-8") for p in RECORDS.glob("*/_figures/*.md")]
    for text in texts:
        assert organisms.mentioned_taxids(text) == plain(text), text[:80]
