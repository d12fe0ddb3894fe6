/** Brings the three-node cluster and the other infrastructure up before the cluster tests (left running, as `npm test` leaves its infrastructure). */
import { infraUp } from '../../scripts/infra/index.ts';

export default async function setup(): Promise<void> {
  await infraUp({ components: ['postgres', 'redis', 'kafka', 'registry'], kafkaNodes: 3 });
}
