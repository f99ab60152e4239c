"""orbitfit.estimation.published.gomes_junior_2016_table3: seed 003's Table 3 read from the embedded copy of the paper's tables.

The reference numbers are typed here from the paper (Gomes-Junior et al. 2016, MNRAS 462, 1351, Table 3), not
produced by the reader: Himalia's STE row is also quoted in the text of notebook 01."""
import pytest

from orbitfit.estimation.published import gomes_junior_2016_orbits, gomes_junior_2016_table3


def test_table3_has_the_eight_satellites_of_table2():
    assert sorted(gomes_junior_2016_table3()) == sorted(gomes_junior_2016_orbits())


@pytest.mark.parametrize("name, ephemeris, expected", [
    ("Himalia", "STE", (-15, 66, -7, 54)),
    ("Himalia", "JPL", (-19, 80, -11, 52)),
    ("Carme", "JPL", (-3, 114, -80, 102)),
    ("Lysithea", "Emelyanov", (117, 193, -76, 185)),
    ("Ananke", "STE", (-10, 90, 3, 73)),
])
def test_table3_numbers_match_the_paper(name, ephemeris, expected):
    assert gomes_junior_2016_table3()[name][ephemeris] == expected


def test_a_malformed_row_names_file_and_line(tmp_path):
    path = tmp_path / "tables.txt"
    path.write_text("# Table 2 ...\nHimalia 1 x\n# Mean offsets +- sd\n# header\n"
                    "Himalia  -15+-66  -7+-54  | -19+-80  -11+-52  | -18+-72  -13+-53\n"
                    "Elara      3+-92 -12  | 20+-92  -50+-69  |  23+-94  -83+-81\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"tables.txt:6: .*STE"):
        gomes_junior_2016_table3(path)
    path.write_text("no table here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no Table 3 rows"):
        gomes_junior_2016_table3(path)
