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
 *   4. shuts the kernel down when the page closes, as Voila does.
 *
 * Whatever goes wrong is said on the page in the learner's language (window.chwkitText, set
 * by the template), never as a blank space where a question should be.
 */
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
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
    serverSettings
  });
  window.addEventListener('beforeunload', () => {
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
  start().catch((error) => {
    console.error('chwkit: the page could not connect to its kernel', error);
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot);
} else {
  boot();
}
