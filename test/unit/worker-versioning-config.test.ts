// TEMPORAL_WORKER_DEPLOYMENT / TEMPORAL_WORKER_BUILD_ID: how a worker is told which version it is.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.ts';
import { workerDeploymentOptionsFor } from '../../workers/versioning.ts';
import { problemText } from '../../workflows/failures.ts';
import { configErrorOf } from '../support.ts';

describe('worker versioning configuration', () => {
  it('leaves workers unversioned when neither variable is set, even with the image build id baked in', () => {
    expect(loadConfig({}).temporal.workerDeployment).toBeUndefined();
    expect(loadConfig({ CHARTERFLOW_BUILD_ID: 'img-4f2a9c1' }).temporal.workerDeployment).toBeUndefined();
    expect(workerDeploymentOptionsFor(undefined)).toBeUndefined();
  });

  it('polls as the deployment version named, trips auto-upgrading by default', () => {
    const config = loadConfig({ TEMPORAL_WORKER_DEPLOYMENT: 'charterflow', TEMPORAL_WORKER_BUILD_ID: '4f2a9c1' });
    expect(config.temporal.workerDeployment).toEqual({ deploymentName: 'charterflow', buildId: '4f2a9c1' });
    expect(workerDeploymentOptionsFor(config.temporal.workerDeployment)).toEqual({
      version: { deploymentName: 'charterflow', buildId: '4f2a9c1' },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  it('takes the build id baked into the image unless TEMPORAL_WORKER_BUILD_ID overrides it', () => {
    expect(
      loadConfig({ TEMPORAL_WORKER_DEPLOYMENT: 'charterflow', CHARTERFLOW_BUILD_ID: 'img-1' }).temporal.workerDeployment
        ?.buildId,
    ).toBe('img-1');
    expect(
      loadConfig({
        TEMPORAL_WORKER_DEPLOYMENT: 'charterflow',
        CHARTERFLOW_BUILD_ID: 'img-1',
        TEMPORAL_WORKER_BUILD_ID: 'hotfix-2',
      }).temporal.workerDeployment?.buildId,
    ).toBe('hotfix-2');
  });

  it('refuses a deployment without a build id, a build id without a deployment, and a dotted deployment name', () => {
    expect(configErrorOf({ TEMPORAL_WORKER_DEPLOYMENT: 'charterflow' }).problems.map(problemText)).toEqual([
      expect.stringMatching(/^TEMPORAL_WORKER_BUILD_ID: required when TEMPORAL_WORKER_DEPLOYMENT is set/),
    ]);
    expect(configErrorOf({ TEMPORAL_WORKER_BUILD_ID: '4f2a9c1' }).problems.map(problemText)).toEqual([
      expect.stringMatching(/^TEMPORAL_WORKER_DEPLOYMENT: required when TEMPORAL_WORKER_BUILD_ID is set/),
    ]);
    expect(
      configErrorOf({ TEMPORAL_WORKER_DEPLOYMENT: 'charter.flow', TEMPORAL_WORKER_BUILD_ID: '1' }).problems.map(
        problemText,
      ),
    ).toEqual([expect.stringMatching(/^TEMPORAL_WORKER_DEPLOYMENT: must be .*no dot/)]);
  });
});
