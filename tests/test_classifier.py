"""The classifier: shipped model matches its data, polarity, reasons, eval, cross-validation, reclassify."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftwatch.classify import classify
from driftwatch.classify.dataset import (
    apply_overrides, grouped_folds, read_overrides, real_labelled_path, supplement_path,
)
from driftwatch.classify.model import MODEL_DIR, Classifier
from driftwatch.classify.train import (
    data_digests, default_dev_path, default_train_path, evaluate, read_examples, shipped_meta,
)
from driftwatch.cli import cli

REAL = real_labelled_path()
needs_real = pytest.mark.skipif(
    REAL is None, reason="../shared/classifier/real-labelled.jsonl is absent (only CI and the project's "
                         "machines have the real labelled entries; set DRIFTWATCH_SHARED_DIR to point at them)")


def test_shipped_model_matches_training_data_and_rules() -> None:
    trained_from = shipped_meta(MODEL_DIR)["data"]
    now = data_digests(default_train_path(), REAL)
    for piece in ("supplement", "overrides", "rules"):
        assert trained_from[piece] == now[piece], (
            f"{piece} changed since the shipped model was trained: run "
            "`driftwatch train --out driftwatch/classify/model` and commit the model")
    if REAL is not None:
        assert trained_from["real"] == now["real"], "the real labelled file changed: retrain the shipped model"
    assert set(shipped_meta(MODEL_DIR)["thresholds"]) >= {"relevant", "write_action", "write_action@cue"}


def test_training_data_is_big_enough_and_separate_from_dev() -> None:
    train_rows = read_examples(default_train_path())
    dev_rows = read_examples(default_dev_path())
    assert len(train_rows) >= 400
    assert not {r["title"] + r["body"] for r in train_rows} & {r["title"] + r["body"] for r in dev_rows}


# --- default polarity on real phrasing (sentences written by the project) -------------------

ON_CASES = [
    ("Scheduled research runs for every workspace", "Scheduled research runs can browse the web and read "
     "connected files. The feature is rolling out to all users over the next two weeks."),
    ("Meeting notes assistant", "The notes assistant records meetings and stores transcripts in members' drives. "
     "It is available by default in every workspace."),
    ("Drive connector for everyone", "The Drive connector can read all files a member can open. It is enabled for "
     "all workspaces starting today."),
    ("Calendar agent", "The calendar agent can create and update events on members' behalf. No admin action "
     "required: it appears for members automatically."),
    ("Browser page context", "The browser assistant can read the open page and any PDF to answer questions. "
     "Admins can turn this off in the browser policy."),
    ("Team sharing after early access", "Members can share notebooks with the whole team. Sharing is off by "
     "default during early access; unless an admin opts out, it turns on automatically when early access ends."),
    ("Search across linked apps", "Search will reach every linked app's content. It is turned on automatically for "
     "all workspaces in May; owners who don't want it can switch it off first."),
    ("Meeting recap agent", "Recaps read every recorded meeting. The agent comes to all paid plans and can be "
     "turned off by admins."),
    ("Longer recording retention", "Cloud recordings are now kept for 180 days, up from 60 days; the change "
     "applies automatically."),
    ("New link defaults", "New share links will default to anyone with the link instead of members only."),
    ("Folder link defaults", "Links to folders now default to 'people with the link' rather than 'your team'."),
    ("Web access for the coding agent", "The coding agent can fetch pages from the internet while it works. "
     "New installs start with web access enabled."),
    ("Longer transcript history", "Meeting transcript retention increases from 30 days to 365 days for every "
     "workspace."),
    ("External sharing policy", "From 1 March the external sharing policy is set to Enabled for every "
     "organization that has not changed it."),
    ("Export action for the assistant", "The assistant can now export reports to shared folders for all tenants. "
     "If you don't want it, remove the action in the assistant settings."),
    ("Auto-apply for the coding assistant", "New installs now start in auto-apply mode, so the coding assistant "
     "writes changes to files without asking first."),
    ("Preselected sharing", "For tenants that have not customized the policy, new files will preselect sharing "
     "with the whole company."),
    ("Longer index after disconnecting", "The search index of a connected drive is now kept for 60 days after the "
     "drive is disconnected, up from 14 days."),
    ("Meeting summaries shared with guests", "Summaries of recorded meetings will be emailed to every invitee, guests "
     "included. Owners who would rather keep them internal should change the setting before the 28th."),
    ("Chat history retention", "Chat history retention moves from 30 days to kept until you delete them."),
    ("Assistant in shared channels", "The assistant can read and summarise messages in shared channels. To limit it, "
     "choose the channels in the admin console."),
    ("Coding agent policy default", "On 10 December the coding agent policy will change to Enabled for organizations "
     "whose owners have not chosen a setting; the agent can then open pull requests in any repository."),
    ("Uploads kept longer", "Uploaded files used to expire after 30 days. From today they are stored until you delete "
     "them."),
    ("Answers from linked folders", "Answers will draw on linked Drive folders for every member unless an owner "
     "disables the link."),
]
NOT_HIGH_CASES = [
    ("Drive connector for workspaces", "The Drive connector can read all files a member can open. "
     "Admins can enable it for selected groups."),
    ("Calendar agent preview", "The calendar agent can create and update events on members' behalf. "
     "It is off by default."),
    ("Scheduled research runs", "Scheduled research runs can browse the web and read connected files. "
     "Workspace owners must turn on the feature before members can use it."),
    ("Ticket write actions", "The ticket app can now create and close tickets. Write actions remain disabled "
     "until an admin allows them."),
    ("Settings page layout", "The sharing settings page has a clearer layout. There is no change to your "
     "controls or their defaults."),
    ("SSO for new workspaces", "SSO is now enforced by default for new workspaces; members sign in through "
     "your identity provider."),
    ("Guest access controls", "Admins can now stop members from inviting guests. Guests can no longer be added "
     "unless an admin allows them."),
    ("Unlisted integrations blocked", "Members can no longer connect integrations an admin has not approved. "
     "This restriction is enabled automatically for every workspace."),
    ("Sharing policy control", "Admins can set the external sharing policy to Enabled for selected groups."),
    ("Guest uploads", "File uploads from guests are now turned off by default in new channels."),
    ("Browser extension for teams", "The extension can fill in forms and click buttons for members. It cannot be "
     "used until an owner turns it on; owners can block specific sites."),
    ("Page templates", "Authors will find six new page templates for news and events. No admin action is required."),
    ("Admins can disable clipboard paste", "A new setting blocks pasting from the clipboard into chats."),
    ("Assistant retention setting", "Admins can now set how long the assistant keeps meeting summaries, from 7 days to "
     "indefinitely."),
]


@pytest.mark.parametrize("title, body", ON_CASES)
def test_on_by_default_or_opt_out_is_high(title: str, body: str) -> None:
    result = classify(title, body)
    assert result.severity == "high", result.reasons
    assert "default_change" in result.categories
    assert any(r.startswith("default: ") and "(on" in r for r in result.reasons), result.reasons


@pytest.mark.parametrize("title, body", NOT_HIGH_CASES)
def test_look_alikes_and_protective_defaults_are_not_high(title: str, body: str) -> None:
    result = classify(title, body)
    assert result.severity != "high", result.reasons


def test_look_alikes_say_why_they_are_not_high() -> None:
    off = classify(*NOT_HIGH_CASES[1])
    assert any('"off by default" (stays off)' in r for r in off.reasons), off.reasons
    protective = classify(*NOT_HIGH_CASES[5])
    assert any("protective" in r for r in protective.reasons), protective.reasons
    assert protective.security_relevant and protective.severity == "low", protective.reasons


def test_every_verdict_has_reasons_and_info_says_why() -> None:
    for title, body in [("Faster image generation", "Images render in half the time."),
                        ("Nimbus 4 model launched", "Nimbus 4 is our newest model, with a longer context window."),
                        *NOT_HIGH_CASES, *ON_CASES]:
        result = classify(title, body)
        assert result.reasons and result.reasons[-1].startswith(f"severity {result.severity}: ")
        if result.severity == "info":
            assert any(r.startswith("info: ") for r in result.reasons), result.reasons
    nothing = classify(*NOT_HIGH_CASES[4])
    assert nothing.severity == "info" and any("no change to your" in r for r in nothing.reasons), nothing.reasons


def test_wording_changes_that_keep_the_meaning_keep_the_severity() -> None:
    pairs = [
        (("Calendar agent", "The calendar agent can create and update events on members' behalf. It is off by default."),
         ("Calendar agent", "The calendar agent can now create and update events on members' behalf. It's off by default.")),
        (ON_CASES[2], (ON_CASES[2][0], ON_CASES[2][1].replace("starting today", "from today") + " ")),
        (("New audit log events", "Role changes now appear in the audit log with the acting admin."),
         ("New audit log events", "Role changes now appear in the audit log, with the acting admin.")),
    ]
    for before, after in pairs:
        assert classify(*before).severity == classify(*after).severity, (before, after)


def _signals(title: str, body: str = ""):
    from driftwatch.classify.components import signals_of
    from driftwatch.classify.model import default_classifier, text_of

    return signals_of(default_classifier().nlp(text_of(title, body)))


def test_a_product_name_alone_is_no_connector_cue() -> None:
    from driftwatch.classify.model import cue_list

    admin_page = _signals("Client health page in the Teams admin center",
                          "Admins can see which Teams desktop clients are out of date.")
    assert admin_page.connectors == ["Teams"] and cue_list(admin_page, "connector") == []
    acting = _signals("Gmail actions", "The assistant can now send emails and create drafts in Gmail.")
    assert "Gmail" in cue_list(acting, "connector")


def test_a_model_name_is_a_lifecycle_cue_only_with_launch_or_retirement_wording() -> None:
    launch = _signals("Claude Fable 7 launched", "Claude Fable 7 is our newest model, available today.")
    assert "Claude Fable 7" in launch.model_names and "model_lifecycle" in launch.cues
    price = _signals("Lower prices for Sonnet 9", "Sonnet 9 now costs less per million tokens.")
    assert price.model_names == ["Sonnet 9"] and "model_lifecycle" not in price.cues
    assert _signals("Claude Code 3 adds hooks", "Hooks run before each tool call.").model_names == []


def test_new_network_addresses_read_as_relevant() -> None:
    text = ("New IP ranges for outbound webhooks",
            "Webhook calls come from new IP ranges from March 1. Update your firewall allowlist before then.")
    assert _signals(*text).network and _signals(*text).looks_irrelevant is None
    assert classify(*text).security_relevant, classify(*text).reasons


def test_a_rename_that_changes_nothing_is_not_relevant_and_says_why() -> None:
    rename = ("The AI hub is now called Studio", "This is a naming change only; permissions, sharing and data "
              "handling settings are as they were.")
    assert '"naming change only" (says nothing changes)' == _signals(*rename).looks_irrelevant
    result = classify(*rename)
    assert result.severity == "info" and any("naming change only" in r for r in result.reasons), result.reasons
    widening = ("Link sharing for everyone", "A naming change only for the old toggle, and link sharing is now "
                "on by default for all members.")
    assert _signals(*widening).looks_irrelevant is None  # an on-by-default phrase outweighs it
    renamed_console = ("Console renamed", "The security console has a new name. There is no change to the data "
                       "collected, how long it is kept, or permissions.")
    assert classify(*renamed_console).severity == "info", classify(*renamed_console).reasons


def test_agents_that_change_records_are_write_actions() -> None:
    for body in ("The sales agent can update Salesforce records for reps.",
                 "The browser agent fills out forms and submits orders across tabs.",
                 "The assistant assigns tasks and updates fields in your projects."):
        assert "write_action" in _signals("Agent update", body).cues, body
    assert "write_action" not in _signals("Reading mode", "Pages now load faster in reading mode.").cues


def test_more_ways_of_saying_an_assistant_changes_things() -> None:
    for body in ("The tracker app opens pull requests for the fixes it suggests.",
                 "The assistant can change the status of an issue and add comments to it.",
                 "It can post updates to a channel when a build fails.",
                 "The sheets helper writes changes to cells you select."):
        assert "write_action" in _signals("Assistant update", body).cues, body


def test_fixes_for_holes_are_security_fixes_and_a_memory_leak_is_no_memory() -> None:
    hole = _signals("Bug fixes", "Fixed an issue where a shared link could expose the names of private files.")
    assert "security_fix" in hole.cues
    revoked = _signals("Fixes", "We fixed an issue where revoked share links kept working for up to an hour.")
    assert "security_fix" in revoked.cues
    assert "security_fix" not in _signals("Bug fixes", "Fixed an issue where the sidebar could flicker.").cues
    leak = _signals("Desktop 4.2", "Fixed a memory leak when many tabs are open; lower memory usage overall.")
    assert "data_handling" not in leak.cues and "data_handling" not in leak.strong
    assert "data_handling" in _signals("Memory for projects", "Memory now works inside projects.").cues


def test_protective_defaults_are_controls_and_setting_up_access_is_no_write() -> None:
    restricted = classify("OAuth integrations", "Creating new OAuth integrations is now restricted by default; "
                          "admins can request an exception.")
    assert restricted.severity == "low", restricted.reasons
    tokens = _signals("Personal tokens", "Users can now create personal tokens limited to read scopes.")
    assert "write_action" not in tokens.cues
    assert "write_action" in _signals("Docs", "The assistant can now create documents in your drive.").cues


def test_the_word_agent_in_a_log_or_network_notice_is_no_autonomy() -> None:
    audit = _signals("Agent events", "The audit log now records who created, edited or deleted an agent.")
    assert "agent_autonomy" not in audit.cues and "audit_logging" in audit.cues
    network = _signals("New IP ranges", "Update allowlists for the on-premises sync agent to the new IP ranges.")
    assert "agent_autonomy" not in network.cues
    assert "agent_autonomy" in _signals("Scheduled agents", "Agents can now run on a schedule.").cues


def test_each_opt_out_pattern_runs_on_the_texts_it_matches() -> None:
    """A pattern runs only when the text holds one of its words: the words must be the ones it needs."""
    from driftwatch.classify.components import OPT_OUT_NEEDS, OPT_OUT_PATTERNS

    probes = ["admins can flip the toggle off", "if you wish to restrict it", "admins can disable it",
              "it can be turned off", "owners who don't want it", "kept for 90 days, up from 30 days",
              "links default to anyone", "new installs start with web access enabled", "if you don't want it",
              "tenants that have not customized", "unless an owner disables the link", "owners who would rather keep",
              "it is on. to limit it, choose", "files used to expire", "recordings are now kept until someone deletes them", "admins who want to limit it", "to keep it off, deactivate",
              "start in auto-apply mode", "retention increases from 7 days to 30"]
    assert len(OPT_OUT_PATTERNS) == len(OPT_OUT_NEEDS)
    for pattern, needs in zip(OPT_OUT_PATTERNS, OPT_OUT_NEEDS, strict=True):
        matched = [text for text in probes if pattern.search(text)]
        assert matched, pattern.pattern  # every pattern has a probe
        assert all(any(word in text for word in needs) for text in matched), (pattern.pattern, needs)


def test_a_service_window_is_not_relevant_and_says_why() -> None:
    window = classify("Scheduled maintenance for the phone service", "The phone service will undergo scheduled "
                      "maintenance on 12 October between 04:00 and 06:00 UTC; provisioning changes may be delayed.")
    assert window.severity == "info" and any("service window" in r for r in window.reasons), window.reasons


def test_saying_settings_stay_as_before_reads_as_no_change() -> None:
    same = _signals("Connector picker redesign", "The picker has a new look. Permissions are unchanged and "
                    "existing connections work as before.")
    assert same.no_change and same.nothing_changes
    assert _signals("Sign-in page logo", "The sign-in page can show your logo. Authentication policies are not "
                    "affected.").no_change
    display = ("Members page fix", "Fixed a bug where the members page drew its table off-screen; this was a display "
               "issue only.")
    assert _signals(*display).nothing_changes and classify(*display).severity == "info"
    badge = ("Clearer badges for guests", "Guests now show a more visible badge. This is a visual change only; "
             "sharing permissions are unchanged.")
    assert _signals(*badge).nothing_changes and classify(*badge).severity == "info"
    assert classify("Connector picker redesign", "The picker has a new look. Permissions are unchanged and "
                    "existing connections work as before.").severity == "info"


def test_assistants_that_read_messages_and_files_touch_data() -> None:
    for body in ("Answers can now reference files and messages from the channels you are in.",
                 "The assistant takes notes of what was said in each call."):
        assert "data_handling" in _signals("Assistant update", body).cues, body


def test_cues_in_the_title_get_their_own_signal_tokens() -> None:
    titled = _signals("Drive connector for projects", "Projects can read files from a folder.")
    assert "connector" in titled.title_cues and "dw_title_connector" in titled.tokens()
    assert {"dw_t_drive", "dw_t_projects"} <= set(titled.tokens())
    aside = _signals("Projects can read a folder", "This works like the Drive connector does.")
    assert "connector" in aside.cues and "connector" not in aside.title_cues


def test_a_category_with_enough_examples_gets_its_own_threshold_only_for_a_clear_gain() -> None:
    from driftwatch.classify.train import OWN_THRESHOLD_SUPPORT, choose_thresholds

    n = 4 * OWN_THRESHOLD_SUPPORT
    rows = [{"categories": ["connector"] if i % 2 else ["write_action"] if i % 5 == 0 else [],
             "severity": "medium"} for i in range(n)]
    # The connector scores separate the classes only above 0.8; write_action's are clean at 0.5.
    oof = [{"relevant": 0.9, "control": 0.1,
            "connector": (0.85 if i % 2 else 0.75),
            "write_action": (0.6 if i % 5 == 0 and not i % 2 else 0.2)} for i in range(n)]
    thresholds = choose_thresholds(rows, oof)
    assert 0.75 < thresholds["connector"] <= 0.85
    assert thresholds["write_action"] == thresholds["new_product"]  # too few examples: the shared pair


def test_reasons_name_the_phrases_and_entities() -> None:
    result = classify("Box can now create and update files", "Write actions arrive for the Box app.")
    assert any(r.startswith('write_action: "') and "(Box)" in r for r in result.reasons), result.reasons
    assert result.reasons[-1].startswith("severity ")


def test_classify_command_reports_bad_lines_and_keeps_going() -> None:
    lines = "\n".join([
        json.dumps({"id": "a", "title": "Agent mode on by default", "body": "Agent mode is enabled by default for all members."}),
        "{not json",
        json.dumps({"id": "c", "body": "no title"}),
        json.dumps({"id": "d", "title": "Dark mode polish", "body": "Better contrast.", "vendor": "X"}),
    ])
    result = CliRunner().invoke(cli, ["classify"], input=lines)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "d"]
    assert out[0]["severity"] == "high" and out[0]["security_relevant"] is True
    assert set(out[0]) >= {"id", "security_relevant", "categories", "severity", "reasons"}
    assert out[1]["severity"] == "info" and out[1]["reasons"]
    assert "line 2:" in result.stderr and "line 3:" in result.stderr and "title" in result.stderr


# --- labelled data, overrides, folds --------------------------------------------------------

SMALL = [
    # project-written entries, two per vendor page so that grouping matters
    {"id": "p1", "source_url": "https://vendor-a.example/notes", "title": "Drive connector for everyone",
     "body": "The Drive connector can read all files. It is enabled by default for all workspaces.",
     "categories": ["connector", "default_change"], "severity": "high"},
    {"id": "p2", "source_url": "https://vendor-a.example/notes", "title": "Faster search",
     "body": "Search results now load twice as fast.", "categories": ["other"], "severity": "info"},
    {"id": "p3", "source_url": "https://vendor-b.example/changelog", "title": "Audit log for role changes",
     "body": "Role changes now appear in the audit log with the acting admin.",
     "categories": ["audit_logging"], "severity": "low"},
    {"id": "p4", "source_url": "https://vendor-b.example/changelog", "title": "Nimbus 4 model launched",
     "body": "Nimbus 4 is our newest model with a longer context window.",
     "categories": ["model_lifecycle"], "severity": "info"},
    {"id": "p5", "source_url": "https://vendor-c.example/whats-new", "title": "Ticket app write actions",
     "body": "The ticket app can now create and close tickets. Write actions remain disabled until an admin enables them.",
     "categories": ["write_action", "connector"], "severity": "medium"},
    {"id": "p6", "source_url": "https://vendor-c.example/whats-new", "title": "Pricing update",
     "body": "Annual plans now cost less per seat.", "categories": ["other"], "severity": "info"},
]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({**r, "security_relevant": r["severity"] != "info"}) + "\n" for r in rows))
    return path


def test_grouped_folds_keep_each_vendor_page_in_one_fold() -> None:
    rows = SMALL * 2
    folds = grouped_folds(rows, 3)
    assert sorted(i for f in folds for i in f) == list(range(len(rows)))
    for fold in folds:
        pages = {rows[i]["source_url"] for i in fold}
        others = {rows[i]["source_url"] for f in folds if f is not fold for i in f}
        assert not pages & others
    with pytest.raises(ValueError, match="at most --folds 3"):
        grouped_folds(rows, 4)


def test_overrides_change_only_the_named_field(tmp_path: Path) -> None:
    path = tmp_path / "overrides.toml"
    path.write_text('[[override]]\nid = "p2"\nfield = "severity"\nvalue = "low"\nreason = "test"\n')
    fixed = apply_overrides([dict(r) for r in SMALL], read_overrides(path))
    assert fixed[1]["severity"] == "low" and fixed[1]["security_relevant"] is True
    assert fixed[0] == SMALL[0]
    path.write_text('[[override]]\nid = "p2"\nfield = "title"\nvalue = "x"\nreason = "no"\n')
    with pytest.raises(ValueError, match="field must be"):
        read_overrides(path)
    assert all({"id", "field", "value", "reason"} <= set(o) for o in read_overrides())  # the project's file


def test_eval_command_on_a_small_labelled_file(tmp_path: Path) -> None:
    data = _write_jsonl(tmp_path / "small.jsonl", SMALL)
    result = CliRunner().invoke(cli, ["eval", "--data", str(data), "--json", "--mistakes"])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["examples"] == 6 and metrics["cross_validation"] is None
    assert set(metrics) >= {"relevance", "high_severity", "categories", "category_macro_f1", "severity_confusion"}
    confusion = metrics["severity_confusion"]
    assert sum(sum(row.values()) for row in confusion.values()) == 6
    assert sum(confusion["info"].values()) == 3 and sum(confusion["high"].values()) == 1
    assert metrics["high_severity"]["support"] == 1 and metrics["relevance"]["support"] == 3
    # macro-F1 averages only categories (not other) with at least 5 gold entries: none here
    assert metrics["macro_f1_categories"] == []
    text = CliRunner().invoke(cli, ["eval", "--data", str(data)])
    assert text.exit_code == 0 and "Severity: gold" in text.stdout and "relevance" in text.stdout


def test_eval_rejects_a_bad_labelled_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(SMALL[0]) + "\n" + json.dumps({"title": "x", "severity": "urgent", "categories": ["other"]}) + "\n")
    result = CliRunner().invoke(cli, ["eval", "--data", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.stderr and "severity" in result.stderr


def test_cross_validation_command_on_a_small_file(tmp_path: Path) -> None:
    """--folds trains per fold on the other pages (plus the supplement) and reports on held-out pages."""
    data_dir = tmp_path / "data"
    (data_dir / "classifier").mkdir(parents=True)
    supplement = read_examples(supplement_path())[:60]  # a small supplement keeps the test fast
    _write_jsonl(data_dir / "classifier" / "train.jsonl", supplement)
    data = _write_jsonl(tmp_path / "small.jsonl", SMALL * 2)
    env = {"DRIFTWATCH_DATA_DIR": str(data_dir), "DRIFTWATCH_SHARED_DIR": str(tmp_path / "no-shared")}
    result = CliRunner().invoke(cli, ["eval", "--data", str(data), "--folds", "3", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    cv = metrics["cross_validation"]
    assert cv["folds"] == 3 and cv["grouped_by"] == "source_url" and cv["groups"] == 3
    assert sorted(cv["fold_sizes"]) == [4, 4, 4]
    assert metrics["examples"] == 12 and sum(sum(r.values()) for r in metrics["severity_confusion"].values()) == 12
    too_many = CliRunner().invoke(cli, ["eval", "--data", str(data), "--folds", "4"], env=env)
    assert too_many.exit_code == 2 and "at most --folds 3" in too_many.stderr


@needs_real
def test_cross_validated_figures_on_the_real_labelled_entries() -> None:
    """Grouped, nested cross-validation on the real file (3 folds here to stay under a minute).

    Targets: relevance F1 >= 0.90, high recall >= 0.90 with precision >= 0.5, category
    macro-F1 >= 0.70. Relevance and the high-severity targets hold at 3 folds (0.90; 0.91
    at 5, README). Category macro-F1 does not reach its 0.70 target yet (0.68 at 5 folds and
    at 3): the floors below guard against regressions, they are not the target.
    """
    from driftwatch.classify.train import cross_validate

    metrics = cross_validate(read_examples(REAL), 3)
    assert metrics["cross_validation"]["groups"] >= 60  # one group per vendor page
    assert metrics["high_severity"]["recall"] >= 0.90, metrics["high_severity"]
    assert metrics["high_severity"]["precision"] >= 0.5, metrics["high_severity"]
    assert metrics["relevance"]["f1"] >= 0.89, metrics["relevance"]
    assert metrics["category_macro_f1"] >= 0.66, {c: m["f1"] for c, m in metrics["categories"].items()}
    assert "model_lifecycle" in metrics["macro_f1_categories"] and "other" not in metrics["macro_f1_categories"]
    assert len(metrics["macro_f1_categories"]) == 10  # the categories with at least 5 gold entries


# --- train and reclassify -------------------------------------------------------------------


def test_train_writes_beside_the_database_by_default(tmp_path: Path) -> None:
    small = _write_jsonl(tmp_path / "small.jsonl", read_examples(supplement_path())[:40])
    before = (MODEL_DIR / "driftwatch.json").read_text()
    env = {"DRIFTWATCH_DB": str(tmp_path / "db" / "dw.db")}
    result = CliRunner().invoke(cli, ["train", "--data", str(small), "--no-real", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert Path(summary["model"]) == tmp_path / "db" / "classifier-model"
    assert (tmp_path / "db" / "classifier-model" / "meta.json").exists() and summary["examples"] == 40
    assert (MODEL_DIR / "driftwatch.json").read_text() == before  # the installed model is untouched
    loaded = Classifier.load(summary["model"])
    assert loaded("Faster search", "Search loads faster.").reasons


def _store_with_stale_change(db: Path) -> None:
    from driftwatch.models import Classification, NewChange, ParsedEntry
    from driftwatch.store import Store

    with Store.open(db) as store:
        store.sync_source("s", "feed", "https://e.test/f")
        entry_id = store.insert_entry("s", ParsedEntry("2026-01-01", "Agent mode on by default",
                                                       "Agent mode is enabled by default for all members.", "l"))
        stale = Classification(False, "info", ["other"], ["old"], "old-model")
        store.add_change(NewChange(kind="new_entry", title="Agent mode on by default", dedupe_key="e",
                                   entry_id=entry_id, entry_version=1, classification=stale))


def test_reclassify_lists_what_moved(tmp_path: Path) -> None:
    from driftwatch.store import Store

    db = tmp_path / "r.db"
    _store_with_stale_change(db)
    runner = CliRunner()
    result = runner.invoke(cli, ["reclassify", "--json"], env={"DRIFTWATCH_DB": str(db)})
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["reclassified"] == 1 and report["severity_changed"] == 1
    assert report["moved"] == [{"id": "DW-1", "title": "Agent mode on by default", "old": "info", "new": "high"}]
    assert report["alerted"] == []  # Slack is not configured here
    again = json.loads(runner.invoke(cli, ["reclassify", "--json"], env={"DRIFTWATCH_DB": str(db)}).stdout)
    assert again["reclassified"] == 0 and again["moved"] == []  # already current
    text = runner.invoke(cli, ["reclassify", "--all"], env={"DRIFTWATCH_DB": str(db)})
    assert text.exit_code == 0 and "severity changed for 0" in text.stdout
    with Store.open(db) as store:
        change = store.change("DW-1")
        assert change["severity"] == "high" and change["classifier_version"].startswith("spacy-")


def _app(tmp_path: Path, db: Path, channel: str | None = None):
    from driftwatch.app import Driftwatch
    from driftwatch.config import load_settings

    config = tmp_path / "dw.toml"
    config.write_text(f'[storage]\npath = "{db}"\n' + (f'[slack]\nchannel = "{channel}"\nalert_severity = "high"\n'
                                                       if channel else ""))
    return Driftwatch(load_settings(str(config), env={}))


def test_reclassify_alerts_a_change_newly_at_the_alert_severity_once(tmp_path: Path) -> None:
    from driftwatch.app import reclassify
    from driftwatch.classify import default_classifier

    db = tmp_path / "a.db"
    _store_with_stale_change(db)
    dw = _app(tmp_path, db, channel="C1")  # no token: queued, delivered once one is set
    report = reclassify(dw)
    assert [m["id"] for m in report["moved"]] == ["DW-1"] and report["alerted"] == ["DW-1"]
    with dw.store() as store:
        alerts = [r for r in store.outbox() if r["kind"] == "alert"]
        assert [(r["channel"], r["change_id"]) for r in alerts] == [("C1", 1)]
        store.set_classification(1, default_classifier()("Dark mode", "Better contrast."))  # falls to info
    again = reclassify(dw, everything=True)
    assert [m["id"] for m in again["moved"]] == ["DW-1"] and again["alerted"] == []  # alerted once, not twice
    with dw.store() as store:
        assert len([r for r in store.outbox() if r["kind"] == "alert"]) == 1


def test_reclassify_judges_an_edit_on_its_own_text(tmp_path: Path) -> None:
    from driftwatch.app import reclassify
    from driftwatch.models import Classification, NewChange, ParsedEntry
    from driftwatch.store import Store

    db = tmp_path / "e.db"
    with Store.open(db) as store:
        store.sync_source("s", "feed", "https://e.test/f")
        first = ParsedEntry("2026-01-01", "Calendar agent", "The calendar agent is off by default.", "l")
        entry_id = store.insert_entry("s", first)
        stale = Classification(False, "info", ["other"], ["old"], "old-model")
        store.add_change(NewChange(kind="new_entry", title="Calendar agent", dedupe_key="v1", entry_id=entry_id,
                                   entry_version=1, classification=stale))
        edited = ParsedEntry("2026-01-01", "Calendar agent", "The calendar agent can create and update events on "
                             "members' behalf. It is now enabled by default for all members.", "l")
        version = store.update_entry_text(entry_id, edited, "diff", new_key=edited.key)
        store.add_change(NewChange(kind="edited_entry", title="Calendar agent", dedupe_key="v2", entry_id=entry_id,
                                   entry_version=version, classification=stale))
    reclassify(_app(tmp_path, db))
    with Store.open(db) as store:
        assert store.change("DW-2")["severity"] == "high"
        assert store.change("DW-1")["severity"] != "high"  # the first version said off by default


def test_eval_default_runs_on_the_dev_set() -> None:
    result = CliRunner().invoke(cli, ["eval", "--json"])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["examples"] == len(read_examples(default_dev_path()))
    assert 0 <= metrics["relevance"]["f1"] <= 1 and "severity_confusion" in metrics


def test_dev_set_is_still_classified_sensibly() -> None:
    metrics = evaluate(Classifier.load(MODEL_DIR), read_examples(default_dev_path()))
    assert metrics["relevance"]["f1"] >= 0.85 and metrics["high_severity"]["recall"] >= 0.8, metrics["high_severity"]


def test_entries_in_the_style_of_vendors_the_real_file_lacks_stay_well_judged() -> None:
    """The project's own entries in the style of Slack, Okta, Box, Zoom... (never trained on)."""
    from driftwatch.paths import data_file

    metrics = evaluate(Classifier.load(MODEL_DIR), read_examples(data_file("classifier", "other-vendors.jsonl")))
    assert metrics["relevance"]["f1"] >= 0.9, metrics["relevance"]
    assert metrics["high_severity"]["recall"] >= 0.85 and metrics["high_severity"]["precision"] >= 0.7, metrics
    assert metrics["category_macro_f1"] >= 0.65, {c: m["f1"] for c, m in metrics["categories"].items()}


def test_shared_dir_can_be_pointed_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTWATCH_SHARED_DIR", str(tmp_path))
    assert real_labelled_path() is None
    (tmp_path / "classifier").mkdir()
    _write_jsonl(tmp_path / "classifier" / "real-labelled.jsonl", SMALL)
    assert real_labelled_path() == tmp_path / "classifier" / "real-labelled.jsonl"
    assert os.environ["DRIFTWATCH_SHARED_DIR"] == str(tmp_path)


def test_developer_tooling_for_agents_is_not_relevant_but_agents_for_people_are() -> None:
    tooling = _signals("Webhooks for hosted agents", "The hosted agents API now sends webhooks for session "
                       "lifecycle events, so your SDK code can react without polling.")
    assert tooling.looks_irrelevant and "developer wording about agents" in tooling.looks_irrelevant
    sdk = classify("Agents SDK for Go", "The Agents SDK is now available in Go, with a new parameter for streaming.")
    assert sdk.severity == "info" and any(r.startswith("info:") for r in sdk.reasons), sdk.reasons
    # with an admin audience or a default, an agent is the company's concern
    people = classify("Agents for every workspace", "Workspace admins can now let agents run scheduled tasks "
                      "that send email on behalf of members.")
    assert people.security_relevant and "agent_autonomy" in people.categories, people.reasons


@pytest.mark.parametrize("title, body", [
    ("Stay signed in on shared devices", "Members can now choose to stay signed in for up to 30 days."),
    ("Credentials in sandboxes", "Jobs can read credentials from the vault when they call outside services."),
    ("App-only authentication for the notes API", "Apps must move to app-only authentication by March."),
    ("Dedicated IP ranges for webhooks", "Webhook calls now come from dedicated IP ranges."),
    ("Guest access for boards", "Owners can turn on guest access for a single board."),
])
def test_sessions_credentials_and_guest_access_are_identity(title: str, body: str) -> None:
    assert "identity_access" in _signals(title, body).cues


def test_opt_in_after_unless_and_a_setter_far_before_the_range_are_not_on() -> None:
    opt_in = classify("AI answers for guests", "Guests can now use AI search over the spaces shared with them. "
                      "Guest access to AI stays off unless an org admin switches it on in the admin console.")
    assert opt_in.severity != "high", opt_in.reasons
    opt_out = classify("AI answers for guests", "Guests can now use AI search over the spaces shared with them, "
                       "unless an org admin switches the feature off.")
    assert opt_out.severity == "high", opt_out.reasons
    setter = classify("Retention setting for meeting assets", "Account admins can now set how long the assistant "
                      "keeps meeting summaries, recordings and chat assets, from 7 days to indefinitely. "
                      "Assets older than the period are deleted automatically.")
    assert setter.severity != "high", setter.reasons


@pytest.mark.parametrize("title, body, expected", [
    ("Recordings kept longer", "Call recordings are now kept until someone deletes them, rather than being deleted "
     "after 90 days.", "high"),
    ("Assistant for everyone", "The writing assistant can now read connected drives and is available to every user "
     "starting today. Admins who want to limit access can do so in settings.", "high"),
    ("Zero-retention mode", "Zero-retention mode is enabled by default for new organizations, so prompts are "
     "never stored.", "low"),
])
def test_more_real_default_wordings(title: str, body: str, expected: str) -> None:
    verdict = classify(title, body)
    assert verdict.severity == expected, verdict.reasons


def test_no_new_scopes_or_roles_is_no_change() -> None:
    assert _signals("Release 4.2", "Faster sync. No new scopes or roles were added in this release.").nothing_changes
    assert "data_handling" in _signals("Regions", "Requests may now be processed in any region, including outside "
                                        "your home geography.").cues


@pytest.mark.parametrize("title, body", [
    ("Faster sign-in logs in the admin center", "The sign-in logs page now loads twice as fast for large tenants."),
    ("SSO settings have a new home", "SSO settings moved to the Security page; your configuration carries over."),
    ("Better search in build logs", "Search in build logs now matches partial words."),
])
def test_a_title_that_announces_polish_is_not_relevant(title: str, body: str) -> None:
    verdict = classify(title, body)
    assert verdict.severity == "info" and any("polish" in r or r.startswith("info:") for r in verdict.reasons), \
        verdict.reasons


def test_polish_in_the_title_does_not_hide_a_default_that_widens() -> None:
    verdict = classify("Faster sharing", "Links to files are now public by default and anyone with the link can "
                       "view them; admins can turn this off.")
    assert verdict.severity == "high", verdict.reasons
