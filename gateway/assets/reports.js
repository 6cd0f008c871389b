// A report's sections edited together (gateway/templates/reports/document.html). Built by build.mjs into
// gateway/static/dist/reports.js and loaded by that page only. Each section is its own Yjs document, synced
// with the gateway's websocket for that section (gateway/report_sync.py); the server-drawn text stays until
// the section has synced, so the page reads the same without JavaScript. The CSP allows no inline style:
// carets are coloured through the CSSOM, selections by class.
//
// Comments: a comment's anchor is a mark `comment` (its `commentId` the comment's anchor id) on the text in the
// section's Yjs document, so it moves with the text as others edit; the thread is kept by the reports service
// and drawn by the server beside the section (reports/_comments.html). Only anchors of comments the panel
// lists are highlighted (a decoration), so a mark whose comment was never sent shows nothing. The panel's
// forms post as they would without the script; the answer's panel replaces this one. When anyone changes a
// section's comments, the gateway tells its pages (message 101, nothing of the comment) and each fetches the
// panel again, unless its reader is writing in it: then once they have finished.
import { Editor, Extension, Mark } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as decoding from 'lib0/decoding'

// The gateway's own message: the state vector of what the reports service has kept (report_sync.SAVED).
const MESSAGE_SAVED = 100
// The gateway's own message: the section's comments changed (report_sync.COMMENTS).
const MESSAGE_COMMENTS = 101
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

// Anchor id -> 'open' | 'resolved' | 'pending' (being written), from the comment panels.
const anchors = new Map()
// Section id -> { editor, editable, title }, once the section is live.
const editors = new Map()
let lastWritten = null
const MAX_QUOTE = 1000

const CommentMark = Mark.create({
  name: 'comment',
  inclusive: false,
  addAttributes () {
    return {
      commentId: {
        default: null,
        parseHTML: (element) => element.getAttribute('data-comment-id'),
        renderHTML: (attributes) => ({ 'data-comment-id': attributes.commentId })
      }
    }
  },
  parseHTML () {
    return [{ tag: 'span[data-comment-id]' }]
  },
  renderHTML ({ HTMLAttributes }) {
    return ['span', HTMLAttributes, 0]
  }
})

function commentRanges (doc, anchorId) {
  const ranges = []
  doc.descendants((node, pos) => {
    if (!node.isText) return
    for (const mark of node.marks) {
      if (mark.type.name === 'comment' && mark.attrs.commentId === anchorId) {
        ranges.push({ from: pos, to: pos + node.nodeSize, mark })
      }
    }
  })
  return ranges
}

const commentsKey = new PluginKey('reportComments')
const CommentHighlights = Extension.create({
  name: 'commentHighlights',
  addProseMirrorPlugins () {
    return [
      new Plugin({
        key: commentsKey,
        props: {
          decorations (state) {
            const found = []
            state.doc.descendants((node, pos) => {
              if (!node.isText) return
              for (const mark of node.marks) {
                const kind = mark.type.name === 'comment' ? anchors.get(mark.attrs.commentId) : undefined
                if (kind === 'open' || kind === 'pending') {
                  found.push(Decoration.inline(pos, pos + node.nodeSize, { class: 'report-comment-anchor' }))
                }
              }
            })
            return DecorationSet.create(state.doc, found)
          },
          handleClick (view, pos) {
            // Clicking highlighted text takes you to its comment in the panel beside the section.
            const marks = view.state.doc.resolve(pos).marks()
            const mark = marks.find((m) => m.type.name === 'comment' && anchors.get(m.attrs.commentId) === 'open')
            const thread = mark && document.querySelector(`li[data-anchor-id="${mark.attrs.commentId}"]`)
            if (thread) thread.scrollIntoView({ block: 'nearest' })
            return false
          }
        }
      })
    ]
  }
})

// Read the panels' comments into `anchors`, and redraw the highlights of one section's editor (or all).
function learnAnchors (only) {
  for (const [id, kind] of anchors) if (kind !== 'pending') anchors.delete(id)
  for (const thread of document.querySelectorAll('li[data-anchor-id]')) {
    anchors.set(thread.dataset.anchorId, thread.dataset.resolved === 'true' ? 'resolved' : 'open')
  }
  for (const { editor } of only ? [only] : editors.values()) {
    editor.view.dispatch(editor.state.tr.setMeta(commentsKey, true))
  }
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
  provider.messageHandlers[MESSAGE_COMMENTS] = () => { refreshComments(sectionId, `${container.dataset.sync}/comments`) }
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
        CommentMark,
        CommentHighlights,
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
    const title = document.getElementById(`section-${sectionId}-title`)
    const entry = { editor, editable, title: title ? title.textContent : '', sectionId }
    editors.set(sectionId, entry)
    if (editable) editor.on('focus', () => { lastWritten = entry })
    const start = document.querySelector(`[data-comment-start="${sectionId}"]`)
    if (start) start.hidden = false
    learnAnchors(entry)
    tell()
  })
  tell()
}

// -- comments ------------------------------------------------------------------------------------------------

function panelOf (sectionId) {
  return document.getElementById(`comments-${sectionId}`)
}

function panelSays (panel, words) {
  const status = panel && panel.querySelector('[data-comment-status]')
  if (status) status.textContent = words
}

// What the panel's threads say (to leave a panel alone when a fetch brings nothing new).
function threadsOf (panel) {
  return Array.from(panel.querySelectorAll('li.report-comment'), (li) => `${li.id}:${li.dataset.resolved}:${li.textContent}`).join('|')
}

// Whether the reader is writing in the panel (a comment or a reply begun, or the caret in one of its fields).
function composing (panel) {
  if (panel.contains(document.activeElement) && document.activeElement.matches('textarea, input, button')) return true
  return Array.from(panel.querySelectorAll('textarea')).some((box) => box.value.trim() !== '')
}

const refreshing = new Map()

// Fetch a section's comment panel again and put it in place of this one, unless its reader is writing in it:
// then the panel is marked stale and fetched once the caret leaves it.
async function refreshComments (sectionId, address) {
  const panel = panelOf(sectionId)
  if (!panel) return
  panel.dataset.commentsAddress = address
  if (composing(panel)) {
    panel.dataset.stale = 'true'
    return
  }
  if (refreshing.get(sectionId)) {
    refreshing.set(sectionId, 'again')
    return
  }
  refreshing.set(sectionId, 'fetching')
  try {
    const response = await fetch(address, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    if (!response.ok) return
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(`comments-${sectionId}`)
    const current = panelOf(sectionId)
    if (!fresh || !current || composing(current)) {
      if (current) current.dataset.stale = 'true'
      return
    }
    if (threadsOf(fresh) === threadsOf(current)) return
    current.replaceWith(fresh)
    learnAnchors(editors.get(sectionId))
    panelSays(fresh, 'Comments updated.')
  } catch (error) {
    // Offline: the next change (or a reload) brings the comments.
  } finally {
    const again = refreshing.get(sectionId) === 'again'
    refreshing.delete(sectionId)
    if (again) refreshComments(sectionId, address)
  }
}

document.addEventListener('focusout', () => {
  // After the focus has moved: a stale panel the reader has left is fetched again.
  setTimeout(() => {
    for (const panel of document.querySelectorAll('.report-comments[data-stale="true"]')) {
      if (composing(panel) || !panel.dataset.commentsAddress) continue
      delete panel.dataset.stale
      refreshComments(panel.dataset.section, panel.dataset.commentsAddress)
    }
  }, 0)
})

function dropPending (form) {
  const anchorId = form.elements.anchor_id.value
  if (!anchorId || anchors.get(anchorId) !== 'pending') return
  anchors.delete(anchorId)
  const entry = editors.get(form.closest('.report-comments').dataset.section)
  if (!entry || !entry.editable) return
  const { state } = entry.editor
  let tr = state.tr
  for (const range of commentRanges(state.doc, anchorId)) tr = tr.removeMark(range.from, range.to, range.mark)
  entry.editor.view.dispatch(tr)
}

function startComment (sectionId) {
  const entry = editors.get(sectionId)
  const panel = panelOf(sectionId)
  if (!entry || !panel) return
  const form = panel.querySelector('form[data-comment-form="new"]')
  const { from, to } = entry.editor.state.selection
  const quote = entry.editor.state.doc.textBetween(from, to, ' ').trim()
  if (!quote) {
    panelSays(panel, 'Select the text you want to comment on, then choose "Comment on the selected text".')
    return
  }
  dropPending(form)
  const anchorId = crypto.randomUUID()
  if (entry.editable) {
    // The anchor goes into the shared text now, so it moves with the text while the comment is written.
    anchors.set(anchorId, 'pending')
    entry.editor.chain().setTextSelection({ from, to }).setMark('comment', { commentId: anchorId }).run()
  }
  form.elements.anchor_id.value = anchorId
  form.elements.quote.value = quote.slice(0, MAX_QUOTE)
  form.querySelector('[data-comment-quote]').textContent = quote.slice(0, MAX_QUOTE)
  form.hidden = false
  form.elements.body.focus()
}

async function sendForm (form) {
  const panel = form.closest('.report-comments')
  const sectionId = panel.dataset.section
  const isNew = form.dataset.commentForm === 'new'
  const button = form.querySelector('button[type="submit"]')
  const words = isNew ? 'Comment added.' : form.elements.resolved ? (form.elements.resolved.value === 'true' ? 'Comment resolved.' : 'Comment reopened.') : 'Reply added.'
  if (button) button.disabled = true
  let response
  try {
    response = await fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      credentials: 'same-origin',
      headers: { Accept: 'text/html' }
    })
  } catch (error) {
    if (button) button.disabled = false
    panelSays(panel, 'Not sent: the connection failed. Try again.')
    return
  }
  const page = new DOMParser().parseFromString(await response.text(), 'text/html')
  const fresh = page.getElementById(`comments-${sectionId}`)
  if (!fresh || (!response.ok && response.status !== 422)) {
    if (button) button.disabled = false
    panelSays(panel, 'Not sent: the service did not answer. Try again.')
    return
  }
  const anchorId = isNew ? form.elements.anchor_id.value : null
  // A fetch's answer has no #fragment: the comment is found by its anchor, or by the id in the form's address.
  const commentId = isNew ? null : (form.action.match(/\/comments\/([0-9a-f-]{36})\//) || [])[1]
  if (response.ok && isNew) anchors.delete(anchorId)
  panel.replaceWith(fresh)
  learnAnchors(editors.get(sectionId))
  if (response.ok) {
    panelSays(fresh, words)
    const thread = isNew
      ? fresh.querySelector(`li[data-anchor-id="${anchorId}"]`)
      : fresh.querySelector(`#comment-${commentId}`)
    // A resolved comment is folded away under "Resolved comments": focus goes to that summary instead.
    const folded = thread && thread.closest('details:not([open])')
    if (folded) folded.querySelector('summary').focus()
    else if (thread) thread.focus()
  } else {
    const wrong = fresh.querySelector('.govuk-textarea--error')
    if (wrong) wrong.focus()
  }
}

document.addEventListener('click', (event) => {
  const start = event.target.closest('[data-comment-start]')
  if (start) {
    startComment(start.dataset.commentStart)
    return
  }
  const cancel = event.target.closest('[data-comment-cancel]')
  if (cancel) {
    const form = cancel.closest('form')
    dropPending(form)
    form.elements.anchor_id.value = ''
    form.hidden = true
    const opener = document.querySelector(`[data-comment-start="${form.closest('.report-comments').dataset.section}"]`)
    if (opener) opener.focus()
    return
  }
  const chosen = event.target.closest('[data-mention]')
  if (chosen) {
    mention(chosen)
    return
  }
  const insert = event.target.closest('[data-insert-text]')
  if (insert) insertText(insert.dataset.insertText)
})

// -- mentions: typing @ and the start of a name offers the people who may be mentioned on the section -------

function mentionsOf (box) {
  return box.parentElement.querySelector('.report-mentions')
}

function suggestMentions (box) {
  const names = JSON.parse(box.closest('.report-comments').dataset.mentionable || '[]')
  const typed = (box.value.slice(0, box.selectionStart).match(/@([^@\n]{0,40})$/) || [])[1]
  const wanted = typed === undefined ? '' : typed.toLowerCase()
  const found = typed === undefined
    ? []
    : names.filter((name) => name.toLowerCase().startsWith(wanted) && name.toLowerCase() !== wanted)
  let list = mentionsOf(box)
  if (!found.length) {
    if (list) list.remove()
    return
  }
  if (!list) {
    list = document.createElement('ul')
    list.className = 'govuk-list report-mentions'
    list.setAttribute('aria-label', 'People you can mention')
    box.after(list)
  }
  list.replaceChildren(...found.slice(0, 6).map((name) => {
    const item = document.createElement('li')
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'govuk-button govuk-button--secondary govuk-!-margin-bottom-1'
    button.textContent = `Mention ${name}`
    button.dataset.mention = name
    item.append(button)
    return item
  }))
}

function mention (button) {
  const list = button.closest('.report-mentions')
  const box = list.previousElementSibling
  const caret = box.selectionStart
  const start = box.value.slice(0, caret).lastIndexOf('@')
  const words = `@${button.dataset.mention} `
  box.value = box.value.slice(0, start) + words + box.value.slice(caret)
  list.remove()
  box.focus()
  box.setSelectionRange(start + words.length, start + words.length)
}

document.addEventListener('input', (event) => {
  if (event.target instanceof HTMLTextAreaElement && event.target.closest('.report-comments')) {
    suggestMentions(event.target)
  }
})

document.addEventListener('submit', (event) => {
  const form = event.target.closest('form[data-comment-form]')
  if (!form) return
  event.preventDefault()
  sendForm(form)
})

// -- inserting the review's episodes, chronology extracts and recommendations ------------------------------

function insertText (text) {
  const status = document.querySelector('[data-insert-status]')
  if (!lastWritten) {
    saysStatus(status, 'Click in a section you write, where the text should go, then choose Insert.')
    return
  }
  // Inserted through the editor, so it travels through Yjs to everyone as typing does.
  lastWritten.editor.chain().focus().insertContent({ type: 'paragraph', content: [{ type: 'text', text }] }).run()
  saysStatus(status, `Inserted into "${lastWritten.title}".`)
}

const page = document.querySelector('[data-report-editor-name]')
if (page) {
  const context = { editorName: page.dataset.reportEditorName }
  for (const container of document.querySelectorAll('[data-report-section]')) startSection(container, context)
  const insertPanel = document.querySelector('[data-report-insert]')
  if (insertPanel) insertPanel.hidden = false
}
