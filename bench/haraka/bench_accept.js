// Haraka plugin for bench/run.sh: accept every recipient and "queue" every message by discarding it,
// so Haraka's own SMTP engine is what gets measured (no relay rules, no disk, no delivery).
"use strict";

exports.register = function () {
  this.register_hook("rcpt", "accept_rcpt");
  this.register_hook("queue", "discard");
};

exports.accept_rcpt = function (next) {
  next(OK);
};

exports.discard = function (next) {
  next(OK);
};
