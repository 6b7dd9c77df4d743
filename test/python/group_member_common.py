"""What the group member scripts (groups_*_member.py) share: their arguments, their JSON-line
output, and the member loop that reads the test's commands on stdin between polls.

Arguments: BOOTSTRAP GROUP TOPIC[,TOPIC...] [key=value ...]. Commands, one a line:
  close               -> close(), print {"event":"closed"}, exit 0
  commit TOPIC P OFF  -> commit(topic, partition, offset); an exception prints
                         {"event":"error","where":"commit",...}
"""
import json
import queue
import sys
import threading

_out_lock = threading.Lock()


def out(**o):
    """Prints one JSON line, flushed (callbacks may print from client threads)."""
    with _out_lock:
        print(json.dumps(o), flush=True)


def parse_args():
    """(bootstrap, group, [topics], {option: value}) from the command line."""
    return sys.argv[1], sys.argv[2], sys.argv[3].split(","), dict(a.split("=", 1) for a in sys.argv[4:])


def run_member(close, commit, poll, describe_error=str):
    """Prints {"event":"started"}, then forever: runs a pending stdin command, then poll() once.

    close() must leave the group; commit(topic, partition, offset) commits one offset
    synchronously; poll() polls for about 100 ms and handles what it got. describe_error(e) is
    the text of a failed explicit commit."""
    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line.strip())

    threading.Thread(target=read_stdin, daemon=True).start()
    out(event="started")

    while True:
        try:
            cmd = commands.get_nowait()
        except queue.Empty:
            cmd = None
        if cmd == "close":
            close()
            out(event="closed")
            sys.exit(0)
        if cmd and cmd.startswith("commit "):
            _, topic, part, off = cmd.split()
            try:
                commit(topic, int(part), int(off))
            except Exception as e:  # noqa: BLE001
                out(event="error", where="commit", error=describe_error(e))
        poll()
