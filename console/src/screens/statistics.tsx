import type { Chart as ChartType } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import type { StatisticsItem } from '../api-types';
import { formatCount, monthFrom, sentByMonthAndChannel, statisticsCsv } from '../format';
import { lang, t, tk } from '../i18n';
import type { Session } from '../session';
import { ErrorBox, Field, PageTitle, useAsync } from '../ui';

// Chart.js, tree-shaken to the stacked bar chart this page draws: maintained, framework-free
// (a canvas we own through a ref, which suits Preact), and loaded only when this page opens, so
// the rest of the console does not carry it. The table below the chart has the same figures.
let chartModule: Promise<typeof ChartType> | undefined;
const loadChart = () =>
  (chartModule ??= import('chart.js').then(({ BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip }) => {
    Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
    return Chart;
  }));

/** Colours per channel that stay apart for common colour-vision deficiencies (Okabe–Ito). */
const COLOURS: Record<string, string> = { helsenorge: '#0072B2', 'digital-mailbox': '#E69F00', paper: '#009E73' };

const monthsBetween = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let m = from; m <= to && out.length < 24;) {
    out.push(m);
    const [y, mm] = m.split('-').map(Number) as [number, number];
    m = monthFrom(new Date(Date.UTC(y, mm - 1, 1)), 1);
  }
  return out;
};

const SentChart = ({ items, months }: { items: StatisticsItem[]; months: string[] }) => {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const { series } = sentByMonthAndChannel(items, months);
    let chart: ChartType | undefined;
    let gone = false;
    void loadChart().then((Chart) => {
      if (gone) return;
      chart = new Chart(el, {
        type: 'bar',
        data: {
          labels: months,
          datasets: series.map((s) => ({ label: tk(`channel_${s.channel}`, s.channel), data: s.data, backgroundColor: COLOURS[s.channel] ?? '#555' })),
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom' } },
          locale: lang.value === 'nb' ? 'nb-NO' : 'en-GB',
        },
      });
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [items, months.join(), lang.value]);
  return (
    <div class="chart" style={{ position: 'relative', height: '18rem' }}>
      <canvas ref={canvas} role="img" aria-label={t('statsChart')} />
    </div>
  );
};

export const StatisticsScreen = (_: { session: Session }) => {
  const now = new Date();
  const [from, setFrom] = useState(monthFrom(now, -11));
  const [to, setTo] = useState(monthFrom(now, 0));
  const [range, setRange] = useState({ from, to });
  const stats = useAsync((s) => api.get<{ items: StatisticsItem[] }>(`/operations/statistics?from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`, s), [range.from, range.to]);
  const items = stats.data?.items ?? [];
  const months = monthsBetween(range.from, range.to);

  const download = () => {
    const url = URL.createObjectURL(new Blob([statisticsCsv(items)], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `statistics-${range.from}-${range.to}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section>
      <PageTitle>{t('statsTitle')}</PageTitle>
      <p>{t('statsIntro')}</p>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          setRange({ from, to });
        }}
      >
        <Field label={t('statsFrom')}>{(p) => <input {...p} type="month" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />}</Field>
        <Field label={t('statsTo')}>{(p) => <input {...p} type="month" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />}</Field>
        <div class="actions">
          <button type="submit" class="primary">
            {t('statsShow')}
          </button>
          <button type="button" onClick={download} disabled={!stats.data}>
            {t('statsCsv')}
          </button>
        </div>
      </form>
      <ErrorBox error={stats.error} />
      {stats.data && items.length === 0 ? <p>{t('statsEmpty')}</p> : null}
      {items.length > 0 ? (
        <>
          <h2>{t('statsChart')}</h2>
          <SentChart items={items} months={months} />
          <table class="compact" data-testid="statistics-table">
            <thead>
              <tr>
                <th scope="col">{t('colMonth')}</th>
                <th scope="col">{t('colOrg')}</th>
                <th scope="col">{t('colChannel')}</th>
                <th scope="col">{t('colSent')}</th>
                <th scope="col">{t('colSkipped')}</th>
                <th scope="col">{t('colFailed')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={`${i.month}-${i.organization}-${i.channel}`}>
                  <td>{i.month}</td>
                  <td>{i.organization}</td>
                  <td>{tk(`channel_${i.channel}`, i.channel)}</td>
                  <td class="num">{formatCount(i.sent, lang.value)}</td>
                  <td class="num">{formatCount(i.skipped, lang.value)}</td>
                  <td class="num">{formatCount(i.failed, lang.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
};
