// A report's sections edited together (gateway/templates/reports/document.html). Built by build.mjs into
// gateway/static/dist/reports.js and loaded by that page only. Each section is its own Yjs document, synced
// with the gateway's websocket for that section (gateway/report_sync.py); the server-drawn text stays until
// the section has synced, so the page reads the same without JavaScript. The CSP allows no inline style:
// carets are coloured through the CSSOM, selections by class.
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as decoding from 'lib0/decoding'

// The gateway's own message: the state vector of what the reports service has kept (report_sync.SAVED).
const MESSAGE_SAVED = 100
// Colours with at least 4.5:1 contrast against white text (the caret's name label).
const COLOURS = ['#1d70b8', '#00703c', '#d4351c', '#4c2c92', '#b58840', '#912b88', '#005a30', '#0b0c0c']

function colourOf (name) {
  let hash = 0
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0
  return COLOURS[hash % COLOURS.length]
}

function saysStatus (element, words) {
  if (element && element.textContent !== words) element.textContent = words
}

function startSection (container, page) {
  const sectionId = container.dataset.reportSection
  const editable = container.dataset.access === 'edit'
  const status = document.getElementById(`section-${sectionId}-status`)
  const doc = new Y.Doc()
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const provider = new WebsocketProvider(
    `${scheme}://${window.location.host}${container.dataset.sync}`,
    'sync',
    doc,
    { disableBc: true }
  )
  let kept = new Map()
  let editor = null
  let connectedOnce = false
  const saved = () => (kept.get(doc.clientID) || 0) >= Y.getState(doc.store, doc.clientID)
  const tell = () => {
    if (!editable) {
      saysStatus(status, provider.wsconnected ? 'You can read this section: it is shared with your agency.' : 'Connecting…')
    } else if (!provider.wsconnected) {
      if (!saved()) {
        saysStatus(status, 'Offline: your changes stay in this page and are sent when the connection returns.')
      } else {
        saysStatus(status, connectedOnce ? 'Offline: reconnecting…' : 'Connecting…')
      }
    } else {
      saysStatus(status, saved() ? 'All changes saved' : 'Saving…')
    }
    container.dataset.saved = saved() ? 'true' : 'false'
    connectedOnce = connectedOnce || provider.wsconnected
  }
  provider.messageHandlers[MESSAGE_SAVED] = (encoder, decoder) => {
    kept = Y.decodeStateVector(decoding.readVarUint8Array(decoder))
    tell()
  }
  provider.on('status', tell)
  provider.on('closed', () => saysStatus(status, 'You can no longer open this section. Refresh the page.'))
  doc.on('update', tell)
  provider.on('sync', (synced) => {
    if (!synced || editor) return
    container.replaceChildren()
    editor = new Editor({
      element: container,
      editable,
      injectCSS: false,
      extensions: [
        StarterKit.configure({ undoRedo: false }),
        Collaboration.configure({ document: doc }),
        CollaborationCaret.configure({
          provider,
          user: { name: page.editorName, color: colourOf(page.editorName) },
          selectionRender: () => ({ class: 'report-editor__selection' })
        })
      ],
      editorProps: {
        attributes: {
          class: 'report-editor',
          role: 'textbox',
          'aria-multiline': 'true',
          'aria-labelledby': `section-${sectionId}-title`,
          'aria-describedby': `section-${sectionId}-hint`,
          'aria-readonly': editable ? 'false' : 'true'
        }
      }
    })
    container.dataset.live = 'true'
    tell()
  })
  tell()
}

const page = document.querySelector('[data-report-editor-name]')
if (page) {
  const context = { editorName: page.dataset.reportEditorName }
  for (const container of document.querySelectorAll('[data-report-section]')) startSection(container, context)
}
