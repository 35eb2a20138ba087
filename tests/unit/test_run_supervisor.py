"""`complaints run` brings back a service that dies, and gives up only where that cannot help.

A story on a fake clock with fake processes: routing is killed and comes back after a
second, however often it is killed; it keeps failing at start and the pauses double, then it
is given up; settlement's settings are invalid and the whole run stops at once with its exit
code.
"""

from cli.supervisor import CRASH_LOOP, STEADY_SECONDS, Supervisor


class FakeProcess:
    def __init__(self) -> None:
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code


class Machine:
    def __init__(self) -> None:
        self.time = 0.0
        self.started: list[str] = []
        self.current: dict[str, FakeProcess] = {}
        self.said: list[str] = []

    def spawn(self, name: str) -> FakeProcess:
        self.started.append(name)
        self.current[name] = FakeProcess()
        return self.current[name]

    def supervisor(self) -> Supervisor:
        return Supervisor(
            ["intake", "routing", "settlement"],
            self.spawn,  # type: ignore[arg-type]
            now=lambda: self.time,
            report=self.said.append,
        )


def test_a_killed_service_is_started_again_and_the_others_are_left_alone():
    machine = Machine()
    run = machine.supervisor()
    machine.time = STEADY_SECONDS + 60
    machine.current["routing"].code = -9  # kill -9

    assert run.look() is None
    assert machine.said == ["routing was killed (-9); starting it again in 1 s"]
    machine.time += 1
    assert run.look() is None
    assert machine.started == ["intake", "routing", "settlement", "routing"]
    assert machine.said[-1] == "routing started again"


def test_a_service_killed_again_and_again_at_start_is_always_brought_back_at_once():
    """A tester (or the OOM killer) killing a service as soon as it starts: the run goes on,
    each time a second later, however often; only the service's own failures count."""
    machine = Machine()
    run = machine.supervisor()
    for _ in range(3 * CRASH_LOOP):
        machine.current["routing"].code = -9
        assert run.look() is None
        assert machine.said[-1] == "routing was killed (-9); starting it again in 1 s"
        machine.time += 1
        assert run.look() is None
        machine.time += 2  # killed again two seconds into its start
    assert machine.started.count("routing") == 1 + 3 * CRASH_LOOP


def test_a_service_dying_at_start_is_paused_longer_each_time_then_given_up():
    machine = Machine()
    run = machine.supervisor()
    pauses = []
    for _ in range(CRASH_LOOP - 1):
        machine.current["routing"].code = 1
        assert run.look() is None
        pauses.append(machine.said[-1].rsplit(" in ", 1)[1])
        machine.time += 60  # past the pause; the new process dies at once again
        run.look()
        machine.time += 0.5
    machine.current["routing"].code = 1

    assert pauses == ["1 s", "2 s", "4 s", "8 s"]
    assert run.look() == 1
    assert machine.said[-1] == f"routing died {CRASH_LOOP} times at start (last exit 1)"


def test_invalid_settings_stop_the_whole_run_with_their_exit_code():
    machine = Machine()
    run = machine.supervisor()
    machine.current["settlement"].code = 2

    assert run.look() == 2
    assert machine.started == ["intake", "routing", "settlement"]
