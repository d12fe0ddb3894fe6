// Local infrastructure CLI: `npm run infra -- up | down | status | logs [component]`.
//
// Thin wrapper over scripts/infra/index.ts, which start/test scripts call in-process.
import { COMPONENT_NAMES, CLUSTER_NODES, infraDown, infraLogs, infraStatus, infraUp, kafkaNodesOption, line } from './infra/index.ts';

const USAGE = `usage: infra <command> [--kafka-nodes 1|3] [component...]
  up [component...]     start what is missing (default: all), wait until ready
  down [component...]   stop what this tool started
  status                show each component: state, pid, address, ready, version
  logs [component...]   print the tail of the component logs (-n <lines>, default 40)
  --kafka-nodes 3       "kafka" is the three-node cluster (${CLUSTER_NODES.map((n) => n.broker).join(', ')})
                        instead of the single broker; \`up --kafka-nodes 3 kafka\` starts only the cluster
components: ${COMPONENT_NAMES.join(', ')}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const nIndex = rest.indexOf('-n');
  const lines = nIndex >= 0 ? Number(rest.splice(nIndex, 2)[1]) : 40;
  const kIndex = rest.indexOf('--kafka-nodes');
  const kafkaNodes = kafkaNodesOption(kIndex >= 0 ? (rest.splice(kIndex, 2)[1] ?? '') : undefined);
  const components = rest.length > 0 ? rest : undefined;
  switch (command) {
    case 'up': {
      const t0 = performance.now();
      await infraUp({ components, kafkaNodes });
      console.log(`infra up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'down':
      await infraDown({ components, kafkaNodes });
      return 0;
    case 'status': {
      const all = await infraStatus({ kafkaNodes });
      for (const s of all) {
        const state = s.external ? 'external' : s.running ? 'running' : 'stopped';
        console.log(line(s.name, state, s.address, `pid ${s.pid ?? '-'}  ready ${s.ready ? 'yes' : 'no'}  version ${s.version}`));
      }
      return all.every((s) => s.ready) ? 0 : 3;
    }
    case 'logs':
      console.log(infraLogs(components, Number.isFinite(lines) && lines > 0 ? lines : 40, kafkaNodes));
      return 0;
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
