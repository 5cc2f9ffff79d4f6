"""The dual-credit annual report (附件3) written by `rulecheck report`."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main

BASE = Path(__file__).resolve().parents[1] / "standards" / "dual-credit" / "2023-revision"


def report(capsys, data: str, *extra) -> tuple[int, str, str]:
    code = main(["report", str(BASE / "dual-credit.rules"), str(BASE / "examples" / data), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_paragraph_states_the_figures_of_the_year(capsys):
    code, out, _ = report(capsys, "domestic-2023.yaml")
    assert code == 0
    # worked by hand in dual-credit.rules (example domestic_2023)
    assert "本企业2023年度内生产/进口乘用车产品63100辆，其中传统能源乘用车47000辆，新能源乘用车16100辆。" in out
    assert "达标值为6.20升/100公里" in out and "实际值为3.83升/100公里" in out
    assert "实际值优于企业平均燃料消耗量达标值38.2%" in out  # (6.20 − 3.83) / 6.20 = 38.23%
    assert "产生平均燃料消耗量正积分149547分" in out
    assert "新能源汽车积分达标值为3420" in out and "产生新能源汽车正积分20240分" in out


def test_sheets_list_every_model_and_only_nevs_in_the_second(capsys):
    _, out, _ = report(capsys, "domestic-2023.yaml")
    sheets = out.split("### ")[1:]
    cafc_rows = [line for line in sheets[0].splitlines() if line.startswith("| ") and line[2].isdigit()]
    nev_rows = [line for line in sheets[1].splitlines() if line.startswith("| ") and line[2].isdigit()]
    volumes = [int(row.split("|")[9]) for row in cafc_rows]
    assert sum(volumes) == 63100
    assert [row.split("|")[2].strip() for row in nev_rows] == ["B1", "B2", "P1", "F1"]
    assert "车型积分 0.23" in sheets[1]


def test_missing_data_is_written_as_no_conclusion(capsys):
    code, out, _ = report(capsys, "missing-gb19578.yaml")
    assert code == 0
    assert "新能源汽车积分实际值为（无法给出结论：missing models\\[1\\].gb19578\\_limit）" in out


def test_html_is_refused_with_a_usage_error(capsys):
    code, _, err = report(capsys, "domestic-2023.yaml", "--format", "html")
    assert code == 2 and "Markdown" in err


@pytest.mark.parametrize("version, data, credit_text", [
    ("2024-notice-378", "domestic-2024.yaml", "产生新能源汽车正积分31400分"),
    ("2026-notice-20251107", "domestic-2026.yaml", "新能源汽车积分实际值为（无法给出结论"),
])
def test_every_version_writes_its_annual_report(capsys, version, data, credit_text):
    folder = BASE.parent / version
    code = main(["report", str(folder / "dual-credit.rules"), str(folder / "examples" / data)])
    out, _ = capsys.readouterr()
    assert code == 0 and credit_text in out
