// Case Review browser bundle. Built by build.mjs into gateway/static/dist/app.js and loaded as
// <script type="module">, so it runs after the document is parsed. The Content-Security-Policy
// allows no inline script or style, so everything a page needs at start-up happens here.
import { initAll } from 'govuk-frontend'
import htmx from 'htmx.org'
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip
} from 'chart.js'

// GOV.UK Frontend styles its JavaScript-only states from these two classes.
document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// htmx reads its configuration when the document has loaded, which is after this module runs.
// Its indicator styles live in app.scss: an injected <style> would break the CSP, and so would eval.
htmx.config.includeIndicatorStyles = false
htmx.config.allowEval = false
htmx.config.allowScriptTags = false
window.htmx = htmx

// A link to a closed <details> (the caught e-mail's subjects link to their messages) opens it.
function openTargetedDetails () {
  const id = decodeURIComponent(window.location.hash.slice(1))
  const target = id && document.getElementById(id)
  if (target instanceof HTMLDetailsElement) {
    target.open = true
  }
}
openTargetedDetails()
window.addEventListener('hashchange', openTargetedDetails)

Chart.register(
  BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip
)

const GOVUK_BLUE = '#1d70b8'
const GOVUK_TEXT = '#0b0c0c'
const GOVUK_MID_GREY = '#b1b4b6'

/** Break a long label into lines of about `width` characters, which Chart.js draws one under another. */
function wrapLabel (label, width = 30) {
  const lines = []
  let line = ''
  for (const word of String(label).split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  if (line) lines.push(line)
  return lines.length > 1 ? lines : lines[0] ?? ''
}

/**
 * Draw a horizontal bar chart on a <canvas data-app-chart='{"labels": [...], "values": [...]}'>.
 * The chart is decorative: the page shows the same figures in a table, which is what assistive
 * technology reads, so the canvas stays hidden from it.
 */
function renderChart (canvas) {
  if (Chart.getChart(canvas)) {
    return // already drawn: htmx:load also fires for the whole body once the page has loaded
  }
  let figures
  try {
    figures = JSON.parse(canvas.dataset.appChart)
  } catch (error) {
    console.error('app-chart: data-app-chart is not JSON', error)
    return
  }
  const container = canvas.parentElement ?? canvas
  // Chart.js gives the labels about half the width and cuts off what does not fit: wrap them to it.
  const narrow = container.clientWidth < 640
  const fontSize = narrow ? 12 : 14
  const lineWidth = Math.max(14, Math.min(30, Math.floor(container.clientWidth / (fontSize * 1.3))))
  const labels = Array.isArray(figures.labels) ? figures.labels.map((label) => wrapLabel(label, lineWidth)) : []
  const values = Array.isArray(figures.values) ? figures.values : []
  if (labels.length === 0) {
    return
  }

  // One bar per row of the table: give each bar and its label lines room rather than squeezing
  // them into a fixed box. (Setting a style property from script is allowed by the CSP.)
  if (container !== canvas) {
    const lines = labels.reduce((sum, label) => sum + (Array.isArray(label) ? label.length : 1), 0)
    container.style.height = `${Math.max(200, labels.length * 28 + lines * 18 + 64)}px`
  }

  const font = window.getComputedStyle(container).fontFamily
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches

  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [{
        label: canvas.dataset.appChartLabel || 'Reviews',
        data: values,
        backgroundColor: GOVUK_BLUE,
        maxBarThickness: 32
      }]
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion ? false : undefined,
      plugins: {
        legend: { display: false },
        tooltip: { enabled: true }
      },
      scales: {
        x: {
          // Counts: from zero, whole numbers only, one tick per review while the figures are small.
          min: 0,
          ticks: {
            precision: 0,
            stepSize: Math.max(0, ...values) <= 10 ? 1 : undefined,
            color: GOVUK_TEXT,
            font: { family: font, size: fontSize }
          },
          grid: { color: GOVUK_MID_GREY }
        },
        y: {
          ticks: { color: GOVUK_TEXT, font: { family: font, size: fontSize } },
          grid: { display: false }
        }
      }
    }
  })
}

function renderCharts (root) {
  root.querySelectorAll('canvas[data-app-chart]').forEach(renderChart)
}

renderCharts(document)
// Fragments swapped in by htmx may bring their own charts.
document.body.addEventListener('htmx:load', (event) => {
  const target = event.target
  if (target instanceof HTMLCanvasElement) {
    if (target.matches('[data-app-chart]')) renderChart(target)
  } else if (target instanceof Element) {
    renderCharts(target)
  }
})

// The session's idle time-out: warn before it (a modal dialog that keeps focus), let the person stay
// signed in (a keep-alive POST with the CSRF token), and go to the sign-in page when the time is up.
function watchSessionTimeout () {
  const body = document.body
  const idle = Number(body.dataset.sessionIdle || 0)
  const dialog = document.getElementById('session-timeout')
  if (!idle || !(dialog instanceof HTMLDialogElement)) return
  const warning = Math.min(Number(body.dataset.sessionWarning || 120), idle - 1)
  const countdown = dialog.querySelector('[data-session-countdown]')
  let deadline = Date.now() + idle * 1000

  function words (seconds) {
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60)
      return `${minutes} minute${minutes === 1 ? '' : 's'}`
    }
    return `${seconds} second${seconds === 1 ? '' : 's'}`
  }

  function tick () {
    const left = Math.round((deadline - Date.now()) / 1000)
    if (left <= 0) {
      window.location.assign('/sign-in?expired=1&next=' + encodeURIComponent(window.location.pathname))
      return
    }
    if (left <= warning && !dialog.open) dialog.showModal()
    if (countdown && dialog.open) countdown.textContent = words(left)
  }

  dialog.querySelector('[data-session-keep-alive]')?.addEventListener('click', async () => {
    const response = await fetch('/session/keep-alive', {
      method: 'POST',
      headers: { 'X-CSRF-Token': body.dataset.csrfToken || '' },
      credentials: 'same-origin'
    })
    if (response.ok) {
      deadline = Date.now() + idle * 1000
      dialog.close()
    } else {
      window.location.assign('/sign-in?expired=1')
    }
  })
  window.setInterval(tick, 1000)
}
watchSessionTimeout()

// The unread count beside "Messages" in the header, kept live by server-sent events. The stream sends
// `unread` with the count when it opens and whenever it changes, and `signed-out` when the session ended.
// The badge's polite live region lets a screen reader hear the new count.
function watchUnreadCount () {
  const badge = document.querySelector('[data-unread-count]')
  if (!badge || typeof window.EventSource !== 'function') return
  const stream = new window.EventSource('/notifications/stream')

  function show (count) {
    if (badge.dataset.unreadCount === String(count)) return
    badge.dataset.unreadCount = String(count)
    if (count === 0) {
      badge.replaceChildren()
      return
    }
    const figure = document.createElement('span')
    figure.className = 'app-unread-count'
    figure.textContent = String(count)
    const words = document.createElement('span')
    words.className = 'govuk-visually-hidden'
    words.textContent = ' unread'
    badge.replaceChildren(' ', figure, words)
  }

  stream.addEventListener('unread', (event) => {
    const count = Number(event.data)
    if (Number.isInteger(count) && count >= 0) show(count)
  })
  stream.addEventListener('signed-out', () => stream.close())
  // Leaving the page closes the stream at once rather than when the browser gets round to it.
  window.addEventListener('pagehide', () => stream.close())
}
watchUnreadCount()

// An upload being checked: ask how far the check has got each second, move the bar, and show the result
// (problems or the preview) by reloading once the check is over. Without JavaScript, the page has a link.
function followUploadCheck (element) {
  const bar = element.querySelector('progress')
  const words = element.querySelector('[aria-live]')
  const expected = Number(element.dataset.rowsExpected || 0)
  const format = new Intl.NumberFormat('en-GB')
  async function poll () {
    try {
      const response = await fetch(element.dataset.uploadProgress, { headers: { Accept: 'application/json' } })
      if (response.ok) {
        const progress = await response.json()
        if (progress.done) {
          window.location.reload()
          return
        }
        if (expected > 0) {
          bar.value = Math.min(progress.rows_read, expected)
        }
        words.textContent = format.format(progress.rows_read) +
          (expected > 0 ? ' of about ' + format.format(expected) : '') + ' rows checked.'
      }
    } catch (error) {
      // The network blinked: the next poll tries again.
    }
    window.setTimeout(poll, 1000)
  }
  window.setTimeout(poll, 500)
}
document.querySelectorAll('[data-upload-progress]').forEach(followUploadCheck)

// A document built on request (the action plan's reports): while it builds, show an indeterminate bar and say
// so to screen readers; then hand the file to the browser. Without JavaScript, the link downloads it.
function buildDocument (link) {
  const status = document.getElementById(link.dataset.buildDocument)
  if (!status) return
  const bar = status.querySelector('progress')
  const words = status.querySelector('[aria-live]')
  link.addEventListener('click', async (event) => {
    event.preventDefault()
    bar.hidden = false
    words.textContent = 'Building ' + link.textContent.trim() + '…'
    try {
      const response = await fetch(link.href)
      if (!response.ok) throw new Error(String(response.status))
      const blob = await response.blob()
      const url = URL.createObjectURL(blob)
      const save = document.createElement('a')
      save.href = url
      save.download = link.dataset.filename || ''
      document.body.appendChild(save)
      save.click()
      save.remove()
      window.setTimeout(() => URL.revokeObjectURL(url), 10000)
      words.textContent = link.textContent.trim() + ' is ready: it has been downloaded.'
    } catch (error) {
      words.textContent = 'The document could not be built. Try again, or follow the link again later.'
    } finally {
      bar.hidden = true
    }
  })
}
document.querySelectorAll('[data-build-document]').forEach(buildDocument)

// -- dashboards (gateway/templates/dashboards/dashboard.html) ----------------------------------------------
// Each figure table's chart is drawn from the table itself (data-figure-chart: the analytics service's
// FigureTable as JSON), so the chart and the table beside it show the same figures. A suppressed cell has no
// value and draws no bar; the table says "fewer than 5". The canvas is hidden from assistive technology:
// the table is what it reads. When the stream says the figures changed, the page fetches its JSON again
// and redraws every chart and table in place, and says so in a polite live region.

// GOV.UK colours with at least 3:1 contrast against the white page (WCAG 1.4.11), blue and red first as
// the pair most people tell apart; a line's points also differ in shape, and the legend names each.
const SERIES_COLOURS = ['#1d70b8', '#d4351c', '#00703c', '#4c2c92', '#d53880', '#505a5f', '#003078', '#28a197']
// The shades of a heat map's cells (app.scss .app-heat--0 to --4), by the rule of gateway/figures.py.
const HEAT_SHADES = 5
// A table's row and column of totals: the table shows them; a chart and a heat map's shading leave them out
// (a stacked bar would count everything twice, and a total would outshine every figure it sums).
const TOTAL = 'Total'

/** The table without its totals, as a chart draws it. */
function withoutTotals (table) {
  const keep = table.columns.map((column, index) => column === TOTAL ? -1 : index).filter((index) => index >= 0)
  return {
    ...table,
    columns: keep.map((index) => table.columns[index]),
    rows: table.rows.filter((row) => row.label !== TOTAL).map((row) => ({
      ...row,
      cells: keep.map((index) => row.cells[index])
    }))
  }
}

function figureChartConfig (table, container) {
  const narrow = container.clientWidth < 640
  const fontSize = narrow ? 12 : 14
  const lineWidth = Math.max(14, Math.min(30, Math.floor(container.clientWidth / (fontSize * 1.6))))
  const font = { family: window.getComputedStyle(container).fontFamily, size: fontSize }
  const line = table.chart === 'line'
  const stacked = table.chart === 'stacked_bar'
  // Bars run across when their labels are long or many (partnerships, themes); periods run along.
  const across = !line && (table.rows.length > 8 || table.rows.some((row) => row.label.length > 12))
  const labels = table.rows.map((row) => across ? wrapLabel(row.label, lineWidth) : row.label)
  const datasets = table.columns.map((column, index) => {
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length]
    return {
      label: column,
      data: table.rows.map((row) => (row.cells[index] && !row.cells[index].suppressed) ? row.cells[index].value : null),
      backgroundColor: colour,
      // Stacked segments are parted by a white line, so that two segments never run together.
      borderColor: line ? colour : '#ffffff',
      borderWidth: line ? 3 : (stacked ? 1 : 0),
      pointRadius: line ? 4 : undefined,
      pointStyle: line ? ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot', 'cross', 'line'][index % 8] : undefined,
      maxBarThickness: 32,
      spanGaps: false
    }
  })
  const percent = table.unit === 'percent'
  const valueAxis = {
    min: 0,
    max: percent ? 100 : undefined,
    stacked,
    ticks: {
      precision: table.unit === 'count' ? 0 : undefined,
      color: GOVUK_TEXT,
      font,
      callback: (value) => percent ? `${value}%` : value
    },
    grid: { color: GOVUK_MID_GREY }
  }
  // Every label shown: Chart.js would skip some when they are crowded, leaving a bar without its name.
  const labelAxis = { stacked, ticks: { color: GOVUK_TEXT, font, autoSkip: false }, grid: { display: false } }
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches
  return {
    type: line ? 'line' : 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: across ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion ? false : undefined,
      plugins: {
        legend: {
          display: datasets.length > 1,
          position: 'bottom',
          labels: { color: GOVUK_TEXT, font, usePointStyle: line }
        },
        tooltip: {
          callbacks: {
            // The words the table shows ("fewer than 5", "62%"), not the bare number.
            label: (context) => {
              const cell = table.rows[context.dataIndex]?.cells[context.datasetIndex]
              return `${context.dataset.label}: ${cell ? cell.text : context.formattedValue}`
            }
          }
        }
      },
      scales: across ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis }
    }
  }
}

function sizeFigureChart (container, table) {
  // Bars that run across need room for each row's label lines and bars; other charts keep the stylesheet's
  // height.
  const across = table.chart !== 'line' && (table.rows.length > 8 || table.rows.some((row) => row.label.length > 12))
  if (!across) {
    container.style.height = ''
    return
  }
  const bars = table.chart === 'stacked_bar' ? 1 : Math.max(1, table.columns.length)
  const lines = table.rows.reduce((sum, row) => sum + Math.ceil(row.label.length / 24), 0)
  container.style.height = `${Math.max(240, table.rows.length * (12 + bars * 18) + lines * 16 + 120)}px`
}

function drawFigureChart (canvas, wholeTable) {
  const table = withoutTotals(wholeTable)
  const container = canvas.parentElement ?? canvas
  const existing = Chart.getChart(canvas)
  if (existing) existing.destroy()
  // A chart with nothing to draw (every figure none or suppressed) is left out: the table says so.
  const drawable = table.rows.some((row) => row.cells.some((cell) => cell && !cell.suppressed && cell.value !== null))
  const figure = canvas.closest('figure')
  if (figure) figure.hidden = !drawable
  if (!drawable) return
  sizeFigureChart(container, table)
  return new Chart(canvas, figureChartConfig(table, container))
}

function drawFigureCharts (root) {
  root.querySelectorAll('canvas[data-figure-chart]').forEach((canvas) => {
    try {
      drawFigureChart(canvas, JSON.parse(canvas.dataset.figureChart))
    } catch (error) {
      console.error('figure chart: data-figure-chart is not a figure table', error)
    }
  })
}

function heatShades (table) {
  const totals = new Set(table.columns.map((column, index) => column === TOTAL ? index : -1))
  const shaded = (row, index, cell) => row.label !== TOTAL && !totals.has(index) && !cell.suppressed && cell.value !== null
  const shown = table.rows.flatMap((row) => row.cells.filter((cell, index) => shaded(row, index, cell)))
  const largest = Math.max(0, ...shown.map((cell) => cell.value))
  return table.rows.map((row) => row.cells.map((cell, index) => {
    if (!shaded(row, index, cell)) return null
    return largest <= 0 ? 0 : Math.min(HEAT_SHADES - 1, Math.floor(cell.value / largest * HEAT_SHADES))
  }))
}

function element (tag, className, text) {
  const made = document.createElement(tag)
  if (className) made.className = className
  if (text !== undefined) made.textContent = text
  return made
}

// Write a figure table's head and body again from the JSON, as the template draws them.
function redrawFigureTable (tableElement, table) {
  const heatmap = tableElement.dataset.figureHeatmap === 'true'
  const headRow = element('tr', 'govuk-table__row')
  for (const [index, heading] of [table.row_heading, ...table.columns].entries()) {
    const th = element('th', 'govuk-table__header' + (index ? ' govuk-table__header--numeric' : ''), heading)
    th.scope = 'col'
    headRow.append(th)
  }
  tableElement.tHead.replaceChildren(headRow)
  const shades = heatmap ? heatShades(table) : []
  const rows = table.rows.map((row, rowIndex) => {
    const tr = element('tr', 'govuk-table__row')
    const th = element('th', 'govuk-table__header', row.label)
    th.scope = 'row'
    tr.append(th)
    for (const [index, cell] of row.cells.entries()) {
      const classes = ['govuk-table__cell', 'govuk-table__cell--numeric']
      if (cell.suppressed) classes.push('app-figure-table__suppressed')
      const shade = heatmap ? shades[rowIndex][index] : null
      if (shade !== null) classes.push('app-heat', `app-heat--${shade}`)
      tr.append(element('td', classes.join(' '), cell.text))
    }
    return tr
  })
  if (!rows.length) {
    const tr = element('tr', 'govuk-table__row')
    const td = element('td', 'govuk-table__cell', 'Nothing counted yet.')
    td.colSpan = table.columns.length + 1
    tr.append(td)
    rows.push(tr)
  }
  tableElement.tBodies[0].replaceChildren(...rows)
}

const AS_OF_WORDS = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London'
})
const CLOCK_WORDS = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'Europe/London'
})

function redrawDashboard (root, dashboard) {
  const sections = [...root.querySelectorAll('[data-figure]')]
  const shown = sections.map((section) => section.dataset.figure).join(' ')
  if (shown !== dashboard.tables.map((table) => table.code).join(' ')) {
    window.location.reload() // another set of tables: the page draws them itself
    return false
  }
  for (const table of dashboard.tables) {
    const section = sections.find((candidate) => candidate.dataset.figure === table.code)
    section.querySelector('[data-figure-summary]').textContent = table.summary
    const canvas = section.querySelector('canvas[data-figure-chart]')
    if (canvas) {
      canvas.dataset.figureChart = JSON.stringify(table)
      drawFigureChart(canvas, table)
    }
    redrawFigureTable(section.querySelector('table[data-figure-table]'), table)
  }
  const asOf = root.querySelector('[data-dashboard-as-of]')
  if (asOf && dashboard.as_of) asOf.textContent = `Figures as at ${AS_OF_WORDS.format(new Date(dashboard.as_of))}.`
  return true
}

// Keep a dashboard live: its stream says when figures it shows changed; the page then fetches its JSON.
function watchDashboard (root) {
  drawFigureCharts(root)
  if (typeof window.EventSource !== 'function') return
  const status = root.querySelector('[data-dashboard-status]')
  const stream = new window.EventSource(root.dataset.dashboardStream)
  let fetching = false
  let again = false

  async function refresh () {
    if (fetching) {
      again = true
      return
    }
    fetching = true
    try {
      const response = await fetch(root.dataset.dashboardApi, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      })
      if (!response.ok) throw new Error(String(response.status))
      if (redrawDashboard(root, await response.json()) && status) {
        status.textContent = `The figures were updated at ${CLOCK_WORDS.format(new Date())}.`
      }
    } catch (error) {
      if (status) status.textContent = 'The figures could not be updated. Reload the page to try again.'
    } finally {
      fetching = false
      if (again) {
        again = false
        refresh()
      }
    }
  }

  stream.addEventListener('figures-changed', refresh)
  stream.addEventListener('signed-out', () => stream.close())
  window.addEventListener('pagehide', () => stream.close())
}
document.querySelectorAll('[data-dashboard]').forEach(watchDashboard)
