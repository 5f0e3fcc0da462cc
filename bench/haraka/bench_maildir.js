// Haraka plugin for bench/run.sh: "queues" each message the way a durable mail server must before its
// 250 — written to a temp file, fsynced, renamed into a Maildir's new/ — so Haraka's "checks + disk"
// peer does the work the agent's queue and Maildir delivery do (the agent does more: a journal record
// and a Maildir copy). Recipients are accepted by bench_accept, listed after this plugin.
"use strict";

const { randomUUID } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

exports.register = function () {
  this.maildir = process.env.BENCH_MAILDIR;
  if (!this.maildir) throw new Error("bench_maildir: BENCH_MAILDIR is not set");
  for (const sub of ["tmp", "new", "cur"]) fs.mkdirSync(path.join(this.maildir, sub), { recursive: true });
  this.register_hook("queue", "store");
};

exports.store = function (next, connection) {
  const name = `${Date.now()}.${randomUUID()}.haraka`;
  const temp = path.join(this.maildir, "tmp", name);
  const done = (error) => (error ? next(DENYSOFT, `bench_maildir: ${error.message}`) : next(OK));
  connection.transaction.message_stream.get_data((data) => {
    fs.open(temp, "wx", 0o600, (error, fd) => {
      if (error) return done(error);
      fs.write(fd, data, (writeError) => {
        if (writeError) return fs.close(fd, () => done(writeError));
        fs.fsync(fd, (syncError) => {
          fs.close(fd, (closeError) => {
            if (syncError || closeError) return done(syncError || closeError);
            fs.rename(temp, path.join(this.maildir, "new", name), done);
          });
        });
      });
    });
  });
};
