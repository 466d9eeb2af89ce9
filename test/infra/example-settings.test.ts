import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/build-app.js';
import { INTEGRATION_CONTEXT } from '../../lib/integration-config.js';

const FILE = 'config/example-stage.json';
const settings = JSON.parse(readFileSync(resolve(__dirname, '../..', FILE), 'utf8')) as Record<string, string>;

/** `npx cdk synth -c settingsFile=config/example-stage.json`: a reviewer reads the template offline. */
describe('the example stage settings', () => {
  it('test_should_synthesise_both_stacks_from_the_example_settings_file_alone', () => {
    const { stateful, stateless } = buildApp({ context: { 'aws:cdk:bundling-stacks': [], settingsFile: FILE } });
    expect(Object.keys(Template.fromStack(stateful).findResources('AWS::DynamoDB::Table')).length).toBeGreaterThan(0);
    expect(Object.keys(Template.fromStack(stateless).findResources('AWS::Lambda::Function')).length).toBeGreaterThan(0);
  });

  it('names every required integration setting, and nothing in it can reach a real service', () => {
    expect(Object.keys(INTEGRATION_CONTEXT).filter((k) => !settings[k])).toEqual([]);
    const hosts = Object.values(settings).flatMap((v) => [...v.matchAll(/https:\/\/([^/"]+)/g)].map((m) => m[1]!));
    expect(hosts.length).toBeGreaterThan(5);
    expect(hosts.filter((h) => !h.endsWith('.invalid'))).toEqual([]);
    expect(Object.values(settings).filter((v) => v.startsWith('arn:') && !v.includes(':111111111111:'))).toEqual([]);
  });

  it('lets a setting given on the command line win over the file', () => {
    const { stateless } = buildApp({ context: { 'aws:cdk:bundling-stacks': [], settingsFile: FILE, senderOrganisationName: 'Given on the command line' } });
    expect(JSON.stringify(Template.fromStack(stateless).toJSON())).toContain('Given on the command line');
  });

  it('refuses a settings file that cannot be read, naming it', () => {
    expect(() => buildApp({ context: { 'aws:cdk:bundling-stacks': [], settingsFile: 'config/no-such-file.json' } })).toThrow(/settingsFile.*no-such-file/);
  });
});
