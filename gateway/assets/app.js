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
  LinearScale,
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

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip)

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
