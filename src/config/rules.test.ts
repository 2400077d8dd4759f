import { describe, expect, it } from 'vitest';
import { isIsoCalendarDate } from './dates.js';
import { didYouMean } from './did-you-mean.js';
import {
  BATCH_JOB_DEFINITION,
  BATCH_JOB_QUEUE,
  DAG_ID,
  DOTTED_PYTHON_PATH,
  looksLikeSecretKey,
  S3_BUCKET,
} from './patterns.js';
import { scheduleProblem } from './schedule.js';

describe('isIsoCalendarDate', () => {
  it.each(['2022-01-01', '2024-02-29', '2000-02-29', '2023-12-31', '1850-06-30'])('accepts %s', (d) => {
    expect(isIsoCalendarDate(d)).toBe(true);
  });
  it.each([
    '2023-02-29',
    '1900-02-29',
    '2023-02-30',
    '2023-04-31',
    '2023-13-01',
    '2023-00-10',
    '2023-1-1',
    '23-01-01',
    '2023-01-01T00:00',
    ' 2023-01-01',
  ])('refuses %s', (d) => {
    expect(isIsoCalendarDate(d)).toBe(false);
  });
});

describe('scheduleProblem', () => {
  it.each([
    '@daily',
    '@once',
    '@quarterly',
    '0 6 * * 1-5',
    '*/15 * * * *',
    '0 0 1,15 * *',
    '0 12 * JAN-MAR MON',
    '30 2 * * 7',
  ])('accepts %s', (s) => {
    expect(scheduleProblem(s)).toBeNull();
  });
  it.each([
    '@fortnightly',
    '* * * *',
    '* * * * * *',
    '60 * * * *',
    '* 24 * * *',
    '* * 0 * *',
    '* * * 13 *',
    '5-1 * * * *',
    '*/0 * * * *',
    'a b c d e',
    '{{ x }} * * * *',
  ])('refuses %s', (s) => {
    expect(scheduleProblem(s)).toMatch(/./);
  });
});

describe('name patterns', () => {
  it('dag ids use Airflow key characters', () => {
    expect(DAG_ID.test('momentum_grid.v2-final')).toBe(true);
    expect(DAG_ID.test('has space')).toBe(false);
    expect(DAG_ID.test('ünïcode')).toBe(false);
  });

  it('Batch names and ARNs pass, anything Jinja or shell-like does not', () => {
    expect(BATCH_JOB_QUEUE.test('trading-strategies-job-queue')).toBe(true);
    expect(BATCH_JOB_QUEUE.test('arn:aws:batch:us-east-1:123456789012:job-queue/backtests')).toBe(true);
    expect(BATCH_JOB_QUEUE.test('arn:aws-us-gov:batch:us-gov-west-1:123456789012:job-queue/q')).toBe(true);
    expect(BATCH_JOB_DEFINITION.test('engine:12')).toBe(true);
    expect(BATCH_JOB_DEFINITION.test('arn:aws:batch:eu-west-1:123456789012:job-definition/engine:3')).toBe(
      true,
    );
    for (const bad of ['{{ var.value.q }}', 'q name', 'q;rm', '-q', 'x'.repeat(129), 'engine:0', 'engine:']) {
      expect(BATCH_JOB_QUEUE.test(bad) && BATCH_JOB_DEFINITION.test(bad), bad).toBe(false);
    }
  });

  it('S3 bucket rules', () => {
    for (const ok of ['trading-strategies-results', 'a.b.c', 'abc'])
      expect(S3_BUCKET.test(ok), ok).toBe(true);
    for (const bad of [
      'ab',
      'Bucket',
      'a_b',
      'a..b',
      '-ab',
      'ab-',
      '192.168.1.1',
      'xn--abc',
      'abc-s3alias',
      'x'.repeat(64),
    ]) {
      expect(S3_BUCKET.test(bad), bad).toBe(false);
    }
  });

  it('callbacks are dotted paths with at least a module and a function', () => {
    expect(DOTTED_PYTHON_PATH.test('backtest_gitops_support.callbacks.generate_backtest_report')).toBe(true);
    expect(DOTTED_PYTHON_PATH.test('report')).toBe(false);
    expect(DOTTED_PYTHON_PATH.test('os.system("x")')).toBe(false);
    expect(DOTTED_PYTHON_PATH.test('1mod.fn')).toBe(false);
  });

  it('flags credential-looking keys but not db_conn_id or harmless names', () => {
    for (const key of [
      'password',
      'db_password',
      'Secret',
      'aws_secret_access_key',
      'api_key',
      'github_token',
      'db_config',
    ]) {
      expect(looksLikeSecretKey(key), key).toBe(true);
    }
    for (const key of ['db_conn_id', 'lookback', 'bypass_filter', 'passes'])
      expect(looksLikeSecretKey(key), key).toBe(false);
  });
});

describe('didYouMean', () => {
  const keys = ['stop_loss_pct', 'take_profit_pct', 'rebalance_period', 'strategy_class', 'start_date'];
  it.each([
    ['stop_los_pct', 'stop_loss_pct'],
    ['Stop_Loss_Pct', 'stop_loss_pct'],
    ['take_profit', 'take_profit_pct'],
    ['rebalance', 'rebalance_period'],
    ['strategy', 'strategy_class'],
  ])('%s → %s', (typo, expected) => {
    expect(didYouMean(typo, keys)).toBe(expected);
  });
  it('stays quiet when nothing is close', () => {
    expect(didYouMean('universe_size_limit', keys)).toBeUndefined();
  });
});
