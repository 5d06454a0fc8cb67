import './style.css'

document.querySelector('#app').innerHTML = `
  <main>
    <h1>Hello from your new app</h1>
    <p>Ask the builder to change anything on this page.</p>
  </main>
`
