#!/usr/bin/env python3
"""kafka-python KafkaAdminClient group APIs against a Samsa broker; prints one JSON line.

Usage: groups_kafka_python_admin.py BOOTSTRAP COMMAND [GROUP]
  list                 -> {"groups": [[group_id, protocol_type], ...]}
  describe GROUP       -> {"group": {...GroupInformation, members decoded...}} or {"error": ...}
  offsets GROUP        -> {"offsets": [[topic, partition, offset], ...]}
  delete GROUP         -> {"results": [[group_id, error_name], ...]}
"""
import json
import sys

from kafka import KafkaAdminClient

BOOTSTRAP, CMD = sys.argv[1], sys.argv[2]
GROUP = sys.argv[3] if len(sys.argv) > 3 else None
admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="kafka-python-admin", request_timeout_ms=15000)


def member(m):
    meta = m.member_metadata
    assignment = m.member_assignment
    return {
        "member_id": m.member_id, "client_id": m.client_id, "client_host": m.client_host,
        "topics": list(meta.subscription) if meta else None,
        "assignment": sorted([t, p] for t, ps in assignment.assignment for p in ps) if assignment else [],
    }


try:
    if CMD == "list":
        print(json.dumps({"groups": sorted([list(g) for g in admin.list_consumer_groups()])}))
    elif CMD == "describe":
        g = admin.describe_consumer_groups([GROUP])[0]
        print(json.dumps({"group": {"error_code": g.error_code, "group": g.group, "state": g.state,
                                    "protocol_type": g.protocol_type, "protocol": g.protocol,
                                    "members": [member(m) for m in g.members]}}))
    elif CMD == "offsets":
        offs = admin.list_consumer_group_offsets(GROUP)
        print(json.dumps({"offsets": sorted([tp.topic, tp.partition, om.offset] for tp, om in offs.items())}))
    elif CMD == "delete":
        res = admin.delete_consumer_groups([GROUP])
        print(json.dumps({"results": [[g, type(e).__name__ if not isinstance(e, type) else e.__name__] for g, e in res]}))
except Exception as e:  # noqa: BLE001
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
    sys.exit(1)
finally:
    admin.close()
