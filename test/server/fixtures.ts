// Manifests the server tests open, with the lines their problems sit on.
export const BAD_POD = `apiVersion: apps/v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 999
  containers:
  - name: web
    image: nginx:1.27
    imagePullPolicy: Sometimes
    ports:
    - name: http
      containerPort: 8080
`;
/** Line of each problem in BAD_POD (0-based). */
export const BAD_POD_LINES = { apiVersion: 0, grace: 5, pullPolicy: 9 };

export const GOOD_POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.27
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    emptyDir: {}
`;

export const UNRELATED = `services:
  web:
    image: nginx
    ports: ["80:80"]
    bogus: [unclosed
`;
