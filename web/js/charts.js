// @ts-check
// The statistics' charts, drawn with Apache ECharts (web/node_modules/echarts, its ES module build,
// served as it is like socket.io-client: importmap.json). ECharts is loaded with import() when the
// first chart is drawn, so the figures and their tables show before its megabyte arrives on a slow
// line. Canvas, not SVG: the canvas renderer sets its few styles through the CSSOM, which the pages'
// Content-Security-Policy (style-src 'self', no inline style attributes) allows; tooltips are drawn
// in the canvas too (renderMode 'richText') rather than as HTML with inline styles. Every chart has
// its data as an HTML table beside it (pages/statistics.js), for screen readers and for printing.

import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from './i18n.js';
import './stats-i18n.js';

/** @type {Promise<any> | null} */
let loading = null;
/** ECharts' module, loaded once. */
function echarts() {
  loading = loading || import('echarts');
  return loading;
}

/** The colours of the pages (base.css), so the charts read as part of them. */
const PALETTE = ['#1d5c8c', '#1e6b3a', '#8a4b00', '#b3261e', '#5b4a9e', '#0f7c80', '#7a5c2e', '#55616d'];
const FONT = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

/**
 * One chart: a canvas that ECharts draws ``option`` into, redrawn when it changes and when its box
 * is resized (a phone turned, the window narrowed). ``label`` names it for screen readers, which read
 * the table that follows it.
 * @param {{ option: Record<string, any>, label: string, testid: string, tall?: boolean }} props
 */
export function Chart({ option, label, testid, tall = false }) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const chart = useRef(/** @type {any} */ (null));
  const [state, setState] = useState(/** @type {'loading' | 'ready' | 'failed'} */ ('loading'));
  const json = JSON.stringify(option);
  useEffect(() => {
    let gone = false;
    echarts()
      .then((lib) => {
        if (gone || !box.current) return;
        chart.current = chart.current || lib.init(box.current, null, { renderer: 'canvas' });
        chart.current.setOption({
          color: PALETTE,
          textStyle: { fontFamily: FONT, fontSize: 14 },
          animation: false, // drawn at once: nothing moves for someone who reads it, or prints it
          tooltip: { renderMode: 'richText', confine: true },
          ...option,
        }, true);
        setState('ready');
      })
      .catch(() => !gone && setState('failed'));
    return () => {
      gone = true;
    };
  }, [json]);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return undefined;
    const observer = new ResizeObserver(() => chart.current && chart.current.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      if (chart.current) chart.current.dispose();
      chart.current = null;
    };
  }, []);
  return html`<div class=${tall ? 'st-chart tall' : 'st-chart'} ref=${box} role="img" aria-label=${label}
      data-testid=${testid} data-state=${state}></div>
    ${state === 'loading' ? html`<p class="muted small" role="status">${t('stats.chart.loading')}</p>` : null}
    ${state === 'failed' ? html`<p class="muted small" role="status">${t('stats.chart.failed')}</p>` : null}`;
}

/** Axis labels that fit a phone: long names wrap rather than overlap. */
const CATEGORY_LABEL = { fontSize: 12, width: 96, overflow: 'break', interval: 0 };

/**
 * Bars (and a line) over categories: ``series`` are (name, values, 'bar' | 'line').
 * @param {string[]} categories
 * @param {[string, (number | null)[], string][]} series
 * @param {{ horizontal?: boolean, percent?: boolean }} [options]
 */
export function barOption(categories, series, { horizontal = false, percent = false } = {}) {
  const category = { type: 'category', data: categories, axisLabel: CATEGORY_LABEL };
  const value = { type: 'value', minInterval: percent ? undefined : 1, max: percent ? 100 : undefined, axisLabel: { fontSize: 12 } };
  return {
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0, textStyle: { fontSize: 13 } },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? { ...category, inverse: true } : value,
    series: series.map(([name, data, type]) => ({
      name, type, data, barMaxWidth: 28, label: { show: type === 'bar', position: horizontal ? 'right' : 'top', fontSize: 12 },
    })),
    tooltip: { trigger: 'axis' },
  };
}

/**
 * Shares of a whole, as a ring with the names and percentages beside it.
 * @param {[string, number][]} parts
 */
export function pieOption(parts) {
  return {
    legend: { bottom: 0, type: 'scroll', textStyle: { fontSize: 13 } },
    series: [{
      type: 'pie', radius: ['30%', '60%'], center: ['50%', '45%'],
      data: parts.map(([name, value]) => ({ name, value })),
      label: { formatter: '{b}\n{d}%', fontSize: 12 },
    }],
    tooltip: { trigger: 'item' },
  };
}
