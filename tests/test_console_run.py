"""The console of the real `earful run` gives an agent what they need to act (issue 16, item 8): every card and
queue line has the post's link and source name and the mention id, `digest` works there, and marking a
missed complaint opens its case."""

from __future__ import annotations

import subprocess
import threading

import pytest

from tests.test_first_run import EARFUL, _env, example_config, wait_for


class Console:
    def __init__(self, config, tmp_path):
        self.process = subprocess.Popen(EARFUL + ["--config", str(config)], env=_env(tmp_path),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=tmp_path)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")),
                                        daemon=True)
        self._reader.start()

    def text(self, since: int = 0) -> str:
        return "".join(self.lines[since:])

    def type(self, line: str, *, until: str) -> str:
        """Type a line and wait for `until` in what follows; returns what was printed after the line."""
        mark = len(self.lines)
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        wait_for(lambda: until in self.text(mark), what=until)
        return self.text(mark)

    def quit(self) -> tuple[int, str]:
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        return code, self.process.stderr.read()


@pytest.mark.slow
def test_console_lines_carry_link_source_and_mention_and_marking_opens_a_case(tmp_path):
    config = example_config(tmp_path, 'sla_sweep_interval = "1s"')
    # a sixth card within the minute would wait for the next one (flood control): not what this test is about
    config.write_text(config.read_text().replace("flood_threshold = 5", "flood_threshold = 50"))
    console = Console(config, tmp_path)
    try:
        wait_for(lambda: "#5 · Acme" in console.text(), what="the cards")
        cards = console.text()
        # the card's own link and source (review 1001 is also posted on the forum: whichever is stored first wins)
        assert "review-site · https://reviews.example/cloud/100" in cards
        assert "community-forum · https://forum.example/t/" in cards and " · mention m" in cards
        assert "\nwhy: " in cards  # what pushed each complaint's score most

        queue = console.type("queue", until="#2 [Acme]")
        lines = [line for line in queue.splitlines() if line.startswith("#")]
        assert len(lines) == 5
        assert all(" · https://" in line and "mention m" in line for line in lines)
        assert any(" · review-site · " in line for line in lines) and any(" · status-watchers · " in line
                                                                          for line in lines)

        digest = console.type("digest", until="Source health")
        assert "Mentions and sentiment" in digest or "Complaints" in digest
        assert "There is no brand 'Nope'; the brands are: Acme, Globex" in console.type("digest Nope",
                                                                                        until="no brand")

        # a review the detector did not take for a complaint: marking it opens its case, whose card follows
        marked = console.type("complaint https://reviews.example/cloud/1004", until="opened case")
        assert "opened case #6 for Acme" in marked
        wait_for(lambda: "#6 · Acme" in console.text(), what="the new case's card")
        assert "case #6" in console.type("complaint https://reviews.example/cloud/1004", until="case #6")
        assert "#6 [Acme]" in console.type("queue", until="#6 [Acme]")
    finally:
        code, stderr = console.quit()
    assert code == 0 and "Traceback" not in stderr, stderr
