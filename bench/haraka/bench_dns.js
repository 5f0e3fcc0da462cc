// Haraka plugin for bench/run.sh, for the "SPF + DKIM + disk" peer: points Node's DNS resolver (both
// APIs; haraka-plugin-spf uses node:dns/promises, haraka-plugin-dkim node:dns) at the bench's dnsmasq, as
// the agent's dnsServers does, and has the loopback client count as a public one: haraka-plugin-spf skips
// private addresses, and the bench's only client is 127.0.0.1 (the agent checks it like any other).
"use strict";

const dns = require("node:dns");

exports.register = function () {
  const server = process.env.BENCH_DNS_SERVER;
  if (!server) throw new Error("bench_dns: BENCH_DNS_SERVER is not set");
  dns.setServers([server]);
  dns.promises.setServers([server]);
  this.register_hook("connect_init", "as_public_client");
};

exports.as_public_client = function (next, connection) {
  connection.remote.is_private = false;
  next();
};
