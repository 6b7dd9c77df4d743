// CPU profiles of the broker processes a bench starts (node refuses --cpu-prof in NODE_OPTIONS):
//   SAMSA_CPU_PROF_DIR=/tmp/prof NODE_OPTIONS="--require $PWD/bench/cpu-profile.cjs" npx tsx bench/replication.ts ...
// Only `samsa broker` processes profile themselves; each writes <dir>/broker-<pid>.cpuprofile
// when it exits (a clean stop: SIGKILL loses it), for Chrome DevTools or speedscope.
const dir = process.env.SAMSA_CPU_PROF_DIR;
if (dir && process.argv[1]?.endsWith("samsa.js") && process.argv[2] === "broker") {
  const { Session } = require("node:inspector");
  const { mkdirSync, writeFileSync } = require("node:fs");
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  process.on("exit", () => {
    // An in-thread session answers synchronously, so this runs before the process ends.
    session.post("Profiler.stop", (err, res) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/broker-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
    });
  });
}
