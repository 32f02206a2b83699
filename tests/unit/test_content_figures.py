"""Figure tokens in lessons (app/content/figures.py) and the tables rendered from them."""
from pathlib import Path

from app.content.figures import expand_figures, load_figures
from app.content.markdown import TABLE_OPEN, render_markdown

FIGURES = load_figures(Path(__file__).resolve().parents[2] / "content" / "figures.yml")


def test_a_paragraph_after_a_figures_table_stays_a_paragraph():
    """The token's line ends the table: the blank line after it is kept, so the next paragraph is not
    read as one more table row."""
    text = "Before.\n\n[[figures: mrs-median-pay, mrs-outlook]]\n\nAfter the table, a paragraph.\n"
    expanded = expand_figures(text, FIGURES)
    assert "|\n\nAfter the table, a paragraph." in expanded
    html = render_markdown(expanded)
    assert html.count("<tr>") == 3                       # the head and the two figures
    assert "</table></div>\n<p>After the table, a paragraph.</p>" in html


def test_every_rendered_table_scrolls_inside_its_own_focusable_region():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\ntext\n\n| c |\n|---|\n| 3 |\n")
    assert html.count(TABLE_OPEN) == 2 and html.count("</table></div>") == 2
    assert 'tabindex="0"' in TABLE_OPEN and 'role="region"' in TABLE_OPEN and "aria-label" in TABLE_OPEN
