/*
 * The learner pages' front end.
 *
 * Voila's own front end is a JupyterLab application: about 3.4 MB of JavaScript (the notebook,
 * CodeMirror, LSP and rendermime packages, every plugin) that a phone on a clinic network
 * downloads, parses and starts before a single question answers. A learner page needs far
 * less: the server has already run the notebook and rendered every output but the widgets, so
 * this file only
 *   1. connects to the page's kernel (Jupyter's own @jupyterlab/services connection),
 *   2. fetches every widget's state in one message (ipywidgets' control comm),
 *   3. draws each widget where the page left its placeholder, with ipywidgets' own controls,
 *   4. shuts the kernel down when the page closes, as Voila does,
 *   5. says so when the kernel is lost (an idle cull, a server restart), from the kernel
 *      connection's own status,
 *   6. shows times the kernel writes (<time datetime>) in the learner's time zone and language.
 *
 * Whatever goes wrong is said on the page in the learner's language (window.chwkitText, set
 * by the template), never as a blank space where a question should be.
 */
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { CommsOverSubshells } from '@jupyterlab/services/lib/kernel/comm';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
import { getKernelModel } from '@jupyterlab/services/lib/kernel/restapi';
import { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
import { Widget } from '@lumino/widgets';

import '@jupyter-widgets/controls/css/widgets.css';
import './page.css';

export const VIEW_MIMETYPE = 'application/vnd.jupyter.widget-view+json';

type Classes = Record<string, any>;

/** The widget modules a learner page may use: ipywidgets' own, nothing loaded at run time. */
const MODULES: Record<string, Classes> = {
  '@jupyter-widgets/base': base as Classes,
  '@jupyter-widgets/controls': controls as Classes
};

declare global {
  interface Window {
    chwkitText?: (key: string, values?: Record<string, string | number>) => string;
  }
}

function text(key: string, fallback: string): string {
  const translated = window.chwkitText ? window.chwkitText(key) : key;
  return translated === key ? fallback : translated;
}

/** A widget manager speaking to one kernel through @jupyterlab/services. */
export class PageWidgetManager extends ManagerBase {
  constructor(readonly kernel: KernelConnection) {
    super();
    kernel.registerCommTarget(this.comm_target_name, async (comm, msg) => {
      await this.handle_comm_open(new base.shims.services.Comm(comm), msg);
    });
  }

  /** Every widget the kernel holds, fetched in one round trip where ipywidgets allows. */
  restore(): Promise<void> {
    return this._loadFromKernel();
  }

  protected async loadClass(
    className: string,
    moduleName: string,
    moduleVersion: string
  ): Promise<any> {
    const found = MODULES[moduleName]?.[className];
    if (!found) {
      throw new Error(`${moduleName}@${moduleVersion} ${className} is not available on this page`);
    }
    return found;
  }

  protected async _create_comm(
    targetName: string,
    modelId?: string,
    data?: any,
    metadata?: any,
    buffers?: ArrayBuffer[] | ArrayBufferView[]
  ): Promise<base.IClassicComm> {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  protected async _get_comm_info(): Promise<{}> {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    if (reply.content.status !== 'ok') {
      throw new Error('the kernel refused to list its widgets');
    }
    return reply.content.comms;
  }
}

function showWidgetError(host: HTMLElement): void {
  host.textContent = '';
  const note = document.createElement('div');
  note.className = 'jp-OutputArea-output chwkit-cell-error';
  note.setAttribute('role', 'alert');
  note.textContent = text('error.server', 'This part of the page could not be shown.');
  host.appendChild(note);
}

/** Draw every widget placeholder of the page; resolves to the number drawn. */
export async function renderPlaceholders(
  manager: PageWidgetManager,
  root: ParentNode = document
): Promise<number> {
  const selector = `script[type="${VIEW_MIMETYPE}"]`;
  const placeholders = Array.from(root.querySelectorAll<HTMLScriptElement>(selector));
  let drawn = 0;
  await Promise.all(
    placeholders.map(async (script) => {
      const host = document.createElement('div');
      host.className = 'jp-OutputArea-output chwkit-widget-host';
      script.replaceWith(host);
      try {
        const { model_id: modelId } = JSON.parse(script.textContent || '{}');
        const model = await manager.get_model(String(modelId));
        const view = await manager.create_view(model);
        Widget.attach(view.luminoWidget, host);
        drawn += 1;
      } catch (error) {
        console.error('chwkit: a widget could not be drawn', error);
        showWidgetError(host);
      }
    })
  );
  return drawn;
}

interface IPageConfig {
  baseUrl?: string;
  kernelId?: string;
  token?: string;
}

function pageConfig(): IPageConfig {
  const node = document.getElementById('jupyter-config-data');
  return node ? JSON.parse(node.textContent || '{}') : {};
}

function xsrfCookie(): string {
  const matches = document.cookie.match('\\b_xsrf=([^;]*)\\b');
  return (matches && matches[1]) || '';
}

/** The bar that says the kernel is gone; a tap reloads the page (a new kernel). */
export function showLost(): void {
  if (document.getElementById('chwkit-lost')) {
    return;
  }
  const bar = document.createElement('button');
  bar.id = 'chwkit-lost';
  bar.type = 'button';
  bar.setAttribute('role', 'alert');
  bar.textContent = text('voila.disconnected', 'The connection was lost. Reload the page.');
  bar.addEventListener('click', () => window.location.reload());
  // Inside the page's header landmark, where the loading message was.
  const header = document.getElementById('chwkit-page-header');
  if (header) {
    header.appendChild(bar);
  } else {
    document.body.insertBefore(bar, document.body.firstChild);
  }
}

/** How often an open page asks whether its kernel still exists, when nothing else says. */
const KERNEL_CHECK_MS = 60_000;

/**
 * Watch the kernel connection: a socket that cannot reconnect, or a kernel that died, is
 * said at once. The server keeps the socket open when it shuts a kernel down (an idle cull),
 * so the page also asks for its kernel when it comes back into view (a phone picked up
 * again) and once a minute.
 */
export function watchKernel(kernel: KernelConnection, leaving: () => boolean): void {
  kernel.connectionStatusChanged.connect((_sender, status) => {
    if (status === 'disconnected' && !leaving()) {
      showLost();
    }
  });
  kernel.statusChanged.connect((_sender, status) => {
    if (status === 'dead' && !leaving()) {
      showLost();
    }
  });
  const check = async (): Promise<void> => {
    if (document.visibilityState === 'hidden' || leaving() || kernel.isDisposed) {
      return;
    }
    try {
      if ((await getKernelModel(kernel.id, kernel.serverSettings)) === undefined) {
        showLost();
      }
    } catch {
      // Offline for now: the connection says when it gives up.
    }
  };
  document.addEventListener('visibilitychange', () => void check());
  window.setInterval(() => void check(), KERNEL_CHECK_MS);
}

const CONTROLS = 'input:not([type=hidden]), select, textarea';

function hasName(control: HTMLElement): boolean {
  if (control.getAttribute('aria-label') || control.getAttribute('aria-labelledby')) {
    return true;
  }
  if ((control as HTMLInputElement).placeholder || control.title) {
    return true;
  }
  const labels = (control as HTMLInputElement).labels;
  return Array.from(labels || []).some(
    (label) => label.offsetParent !== null && (label.textContent || '').trim() !== ''
  );
}

let labelIds = 0;

function idOf(element: Element): string {
  if (!element.id) {
    labelIds += 1;
    element.id = `chwkit-label-${labelIds}`;
  }
  return element.id;
}

/**
 * The kit's widgets put a field's label in an HTML widget above the field (bold or a
 * <label>: wrapping, translated text, which ipywidgets' one-line descriptions cannot hold),
 * help text between them. Tie them to the field, so a screen reader says what it is for: the
 * label names the field, the help describes it. A field that has a name of its own is left as
 * it is.
 */
export function nameFields(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>(CONTROLS).forEach((control) => {
    if (hasName(control)) {
      return;
    }
    let widget: Element | null = control.closest('.jupyter-widgets, .widget-radio, .widget-select');
    const help: Element[] = [];
    for (let level = 0; widget && level < 3; level += 1) {
      for (let sibling = widget.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        if (!sibling.classList.contains('widget-html')) {
          break;
        }
        const content = sibling.querySelector('.widget-html-content');
        if (!content || (content.textContent || '').trim() === '') {
          continue;
        }
        if (content.querySelector('strong, label')) {
          control.setAttribute('aria-labelledby', idOf(content));
          if (help.length) {
            control.setAttribute('aria-describedby', help.map(idOf).join(' '));
          }
          return;
        }
        help.unshift(content);
      }
      widget = widget.parentElement ? widget.parentElement.closest('.jupyter-widgets') : null;
    }
  });
}

/** Times the kernel writes as <time datetime="...Z">, in the page's language and local time. */
export function localizeTimes(root: ParentNode = document): void {
  const lang = document.documentElement.lang || 'es';
  const format = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' });
  root.querySelectorAll<HTMLTimeElement>('time.chwkit-time[datetime]').forEach((node) => {
    const moment = new Date(node.dateTime);
    if (Number.isNaN(moment.getTime())) {
      return;
    }
    const shown = format.format(moment);
    if (node.textContent !== shown || node.dataset.lang !== lang) {
      node.textContent = shown;
      node.dataset.lang = lang;
    }
  });
}

function watchTimes(): void {
  localizeTimes();
  const main = document.getElementById('rendered_cells') || document.body;
  // Widgets redraw their HTML (a submission's receipt, a language switch): format again.
  new MutationObserver(() => {
    localizeTimes(main);
    nameFields(main);
  }).observe(main, {
    childList: true,
    subtree: true,
    characterData: true
  });
  new MutationObserver(() => localizeTimes(main)).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['lang']
  });
}

/** Connect to the page's kernel and draw its widgets. */
export async function start(): Promise<number> {
  const config = pageConfig();
  if (!config.kernelId) {
    return 0; // a page without a kernel (an error page) has nothing to draw
  }
  const baseUrl = config.baseUrl || '/';
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${baseUrl}`;
  const serverSettings = ServerConnection.makeSettings({
    baseUrl,
    wsUrl,
    token: config.token || '',
    appendToken: Boolean(config.token)
  });
  // The server started this kernel for this page: no need to ask for its model first.
  const kernel = new KernelConnection({
    model: { id: config.kernelId, name: 'python3' },
    serverSettings,
    // Voila lets a page's kernel receive comm and kernel-info messages only: asking it for
    // subshells (JEP 91, which ipykernel 7 offers) is refused, once per widget.
    commsOverSubshells: CommsOverSubshells.Disabled
  });
  let leaving = false;
  watchKernel(kernel, () => leaving);
  window.addEventListener('beforeunload', () => {
    leaving = true;
    const data = new FormData();
    data.append('_xsrf', xsrfCookie());
    window.navigator.sendBeacon(`${baseUrl}voila/api/shutdown/${kernel.id}`, data);
    kernel.dispose();
  });
  const manager = new PageWidgetManager(kernel);
  await manager.restore();
  performance.mark('chwkit:widgets-fetched');
  const drawn = await renderPlaceholders(manager);
  performance.mark('chwkit:widgets-drawn');
  return drawn;
}

function boot(): void {
  // Marks for benchmarks/page_load.py: where a page's time goes.
  performance.mark('chwkit:start');
  watchTimes();
  start().catch((error) => {
    console.error('chwkit: the page could not connect to its kernel', error);
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot);
} else {
  boot();
}
