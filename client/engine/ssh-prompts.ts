// The editor's side of an SSH login: an unknown host key is shown with its SHA256 fingerprint and accepted
// only by a person; passphrases and passwords are asked in a password input box and never stored (not in
// settings, not in secret storage: asked again on the next login that needs them).
import * as vscode from 'vscode';
import type { SshPrompts } from '../../engine/remote/ssh-connect';

const ACCEPT = 'Accept and Connect';

export function editorPrompts(): SshPrompts {
  return {
    unknownHostKey: async (info) =>
      (await vscode.window.showWarningMessage(
        `Podsmith: the host key of ${info.name} is not known.`,
        {
          modal: true,
          detail: `${info.keyType} key fingerprint:\n${info.fingerprint}\n\nCheck it with the host's administrator (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Accepting records it, hashed, in ${info.knownHostsFile}.`,
        },
        ACCEPT,
      )) === ACCEPT,
    passphrase: (file, retry) =>
      Promise.resolve(
        vscode.window.showInputBox({
          title: 'Podsmith: SSH key passphrase',
          prompt: `${retry ? 'Wrong passphrase. ' : ''}Passphrase for ${file} (used for this login only, never stored)`,
          password: true,
          ignoreFocusOut: true,
        }),
      ),
    password: (user, host) =>
      Promise.resolve(
        vscode.window.showInputBox({ title: 'Podsmith: SSH password', prompt: `Password for ${user} on ${host} (never stored)`, password: true, ignoreFocusOut: true }),
      ),
    keyboardInteractive: async (req) => {
      const answers: string[] = [];
      for (const p of req.prompts) {
        const a = await vscode.window.showInputBox({
          title: `Podsmith: ${req.name || `login to ${req.host}`}`,
          prompt: `${req.instructions ? `${req.instructions} — ` : ''}${p.prompt}`,
          password: !p.echo,
          ignoreFocusOut: true,
        });
        if (a === undefined) return undefined;
        answers.push(a);
      }
      return answers;
    },
  };
}
