"""Fleets over MQTT (docs/fleet.md): a gateway connects its devices to a Mosquitto broker
and reconciles them toward signed desired-state deployments; the operator's tools publish
deployments, drive staged rollouts and roll back; the broker's configuration, ACLs, TLS
certificates and credentials come from the tooling.

One module per concept: `topics` (the topic schema), `signed` (the operator's signature on
a message), `deployment` (desired state), `reports` (what gateways publish), `rollout`
(staging and stop rules), `reconcile` (a device's next step), `mqtt` (the broker link),
`broker_config`, `tls`, `passwords`, `credentials`, `setup` (generated files), `gateway`,
`device_link` (one device of a gateway), `gateway_state` (what a gateway keeps on disk),
`operator` (deploy, rollback, status)."""
