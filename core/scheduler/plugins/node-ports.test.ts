import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { nodePorts, portConflicts, REASON_NODE_PORTS } from './node-ports.ts';

describe('NodePorts', () => {
  const withPort = (port: number, extra: { protocol?: string; hostIP?: string } = {}) => makePod(`p${port}`, { container: { ports: [{ containerPort: 80, hostPort: port, ...extra }] } });

  it('rejects a node where the host port is taken', () => {
    const node = newNodeInfo(makeNode('a'), [withPort(8080)]);
    expect(nodePorts.filter(new CycleState(), withPort(8080), node)).toEqual({ code: 'Unschedulable', reasons: [REASON_NODE_PORTS] });
    expect(nodePorts.filter(new CycleState(), withPort(8081), node).code).toBe('Success');
  });

  it('treats protocols apart and 0.0.0.0 as colliding with any address', () => {
    const used = [{ ip: '127.0.0.1', protocol: 'TCP', port: 53 }];
    expect(portConflicts({ ip: '0.0.0.0', protocol: 'TCP', port: 53 }, used)).toBe(true);
    expect(portConflicts({ ip: '127.0.0.2', protocol: 'TCP', port: 53 }, used)).toBe(false);
    expect(portConflicts({ ip: '127.0.0.1', protocol: 'UDP', port: 53 }, used)).toBe(false);
    expect(portConflicts({ ip: '10.0.0.1', protocol: 'TCP', port: 53 }, [{ ip: '0.0.0.0', protocol: 'TCP', port: 53 }])).toBe(true);
  });
});
