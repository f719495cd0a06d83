"""The catalogue of app actions: one list feeds the ``:`` command line, the command palette and help.

Pure data (no Textual) so it is cheap to import and easy to test. ``action`` is a Textual action
string run on the app; ``screen`` names the screen it belongs to (the app switches there first).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppAction:
    name: str  # what a person types after ':'
    help: str
    action: str  # Textual action, run on the app ("app.goto('dashboard')") or screen ("screen.submit")
    aliases: tuple[str, ...] = ()
    screen: str | None = None  # mode the action runs on; None = anywhere
    destructive: bool = False  # changes shared state: hidden and refused in read-only mode
    key: str = ""  # the key that does it (for help), if any

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


SCREENS: tuple[tuple[str, str, str], ...] = (
    # (mode, title, key)
    ("guide", "Guide", "1"),
    ("dashboard", "Dashboard", "2"),
    ("training", "Training", "3"),
    ("registry", "Registry", "4"),
    ("predict", "Predict", "5"),
    ("login", "Login & profiles", "6"),
    ("class", "Class", "7"),  # the facilitator's (hidden for others: app.hidden_modes)
    ("data", "Data", "8"),
)


def screen_keys() -> str:
    """The screen keys as people read them: ``1-6, 8``."""
    keys = sorted(int(key) for _, _, key in SCREENS)
    runs: list[str] = []
    start = prev = keys[0]
    for key in [*keys[1:], None]:
        if key is not None and key == prev + 1:
            prev = key
            continue
        runs.append(f"{start}-{prev}" if prev > start else str(start))
        if key is not None:
            start = prev = key
    return ", ".join(runs)


ACTIONS: tuple[AppAction, ...] = (
    AppAction("guide", "Open the lab guide (Labs 1-5)", "app.goto('guide')", ("g", "labs", "lab"), key="1"),
    AppAction(
        "dashboard",
        "Open the live dashboard",
        "app.goto('dashboard')",
        ("dash", "d", "pulse", "status"),
        key="2",
    ),
    AppAction(
        "training",
        "Open training jobs and logs",
        "app.goto('training')",
        ("train", "t", "jobs", "logs"),
        key="3",
    ),
    AppAction(
        "registry",
        "Open the model registry",
        "app.goto('registry')",
        ("reg", "r", "models", "deploy"),
        key="4",
    ),
    AppAction("predict", "Open the prediction form", "app.goto('predict')", ("pred", "p"), key="5"),
    AppAction(
        "login", "Log in, switch or edit profiles", "app.goto('login')", ("profiles", "profile"), key="6"
    ),
    AppAction(
        "class",
        "Open the class: every attendee's progress (the facilitator's)",
        "app.goto('class')",
        ("classroom", "students"),
        key="7",
    ),
    AppAction(
        "data",
        "Open the data files (upload, profile, remove)",
        "app.goto('data')",
        ("files", "datasets", "upload"),
        key="8",
    ),
    AppAction("help", "Help for the current screen", "app.help", ("?", "h"), key="?"),
    AppAction("doctor", "Check each hop to the platform (mlops-tui doctor)", "app.doctor", ("dr", "check")),
    AppAction("refresh", "Refresh everything now", "app.refresh_all", ("r!", "reload"), key="ctrl+r"),
    AppAction(
        "commands", "Show or hide the equivalent-command pane", "app.toggle_commands", ("cmd",), key="c"
    ),
    AppAction(
        "copy", "Copy the last equivalent command (OSC 52)", "app.copy_command", ("yank", "y"), key="y"
    ),
    AppAction("theme", "Switch to the next colour theme", "app.next_theme", ("themes",)),
    AppAction("logout", "Log out of the platform", "app.logout", ()),
    AppAction(
        "quit", "Quit (the local platform keeps running)", "app.quit", ("q", "q!", "exit"), key="ctrl+q"
    ),
    # screen actions
    AppAction(
        "submit", "Submit a training job", "screen.submit_job", ("new-job",), screen="training", key="n"
    ),
    AppAction(
        "cancel",
        "Cancel the selected training job",
        "screen.cancel_job",
        (),
        screen="training",
        destructive=True,
        key="x",
    ),
    AppAction(
        "register",
        "Register the selected finished job's model",
        "screen.register",
        (),
        screen="registry",
        destructive=True,
        key="n",
    ),
    AppAction(
        "deploy-version",
        "Deploy the selected model version",
        "screen.deploy",
        ("serve",),
        screen="registry",
        destructive=True,
        key="d",
    ),
    AppAction(
        "undeploy",
        "Delete the selected deployment",
        "screen.delete_deployment",
        ("delete-deployment",),
        screen="dashboard",
        destructive=True,
        key="ctrl+d",
    ),
    AppAction(
        "send", "Send the prediction request", "screen.send", ("score",), screen="predict", key="ctrl+s"
    ),
    AppAction(
        "curl", "Copy the prediction as curl (OSC 52)", "screen.copy_curl", (), screen="predict", key="y"
    ),
    AppAction("forget", "Forget the stored password of this profile", "screen.forget", (), screen="login"),
    AppAction(
        "broadcast",
        "Set the message every attendee's guide shows",
        "screen.broadcast",
        ("message", "msg"),
        screen="class",
        key="b",
    ),
    AppAction(
        "profile-data", "Profile the selected data file again", "screen.profile", (), screen="data", key="p"
    ),
    AppAction(
        "remove-data",
        "Remove the selected data file",
        "screen.remove",
        ("rm",),
        screen="data",
        destructive=True,
        key="x",
    ),
)


def closest(word: str) -> list[str]:
    """The commands whose name or an alias is spelt most like ``word``, best first, at most two,
    each once, as typed (``trainig`` → ``training``): difflib's ratio of at least 0.7."""
    import difflib

    by_word = {w: action for action in ACTIONS for w in action.words}
    found: list[str] = []
    for near in difflib.get_close_matches(word.strip().lower(), list(by_word), n=6, cutoff=0.7):
        if not any(by_word[near] is by_word[f] for f in found):
            found.append(near)
    return found[:2]


def find(word: str) -> AppAction | None:
    """The action named ``word`` (or one of its aliases), case-insensitive."""
    word = word.strip().lower()
    for action in ACTIONS:
        if word in action.words:
            return action
    return None
